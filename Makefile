# Beyond Sequential: `make lab` to learn, `make test` to check everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FIRST_LESSON := notebooks/01-sequential-to-functional.ipynb
PORT ?= 8888
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg --nbval-cell-timeout=900
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True,)

.PHONY: help setup lab test unit nbval e2e notebooks lint format bench clean

help:
	@echo "make lab        set up .venv and open lesson 01 in JupyterLab (127.0.0.1, token on)"
	@echo "make test       set up .venv, run unit tests, browser tests and nbval over notebooks/"
	@echo "make notebooks  re-run every notebook top to bottom in a fresh kernel and save it"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make bench      run the benchmarks in benchmarks/"

# (Re)build the virtual environment whenever requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) tools/check_python.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $(STAMP)

setup: $(STAMP)

lab: setup
	@token=$$($(BIN)/python -c "import secrets; print(secrets.token_hex(24))"); \
	echo ""; \
	echo "  Lesson 01 opens at: http://127.0.0.1:$(PORT)/lab/tree/$(FIRST_LESSON)?token=$$token"; \
	echo "  (open that link yourself if no browser window appears; Ctrl-C twice stops JupyterLab)"; \
	echo ""; \
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
		--IdentityProvider.token=$$token --ServerApp.default_url=/lab/tree/$(FIRST_LESSON) $(ROOT_FLAG)

test: setup
	$(BIN)/python -m pytest tests notebooks $(NBVAL)

unit: setup
	$(BIN)/python -m pytest tests --ignore=tests/e2e

nbval: setup
	$(BIN)/python -m pytest notebooks $(NBVAL)

e2e: setup
	$(BIN)/python -m pytest tests/e2e

notebooks: setup
	$(BIN)/python tools/execute_notebooks.py notebooks/[0-9]*.ipynb

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python tools/execute_notebooks.py --no-save notebooks/[0-9]*.ipynb
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info tests/e2e/screenshots
