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
# The Keras backend of every target: tensorflow (the default, which the committed outputs come
# from), jax (pinned in requirements.txt; the fastest lab) or torch (install it into .venv first).
BACKEND ?= tensorflow
ifeq ($(filter $(BACKEND),tensorflow jax torch),)
$(error BACKEND must be tensorflow, jax or torch, got '$(BACKEND)')
endif
export KERAS_BACKEND := $(BACKEND)
# `make test` runs every lesson in JupyterLab in Chromium on this backend too: every cell and
# checkpoint, on a second backend (outputs are compared on TensorFlow, by nbval).
BROWSER_BACKEND ?= jax
# How many of `make test`'s stages run at once (3: the CI run took 1,266 s, against 1,560 s
# with 2; benchmarks/RESULTS.md).
TEST_JOBS ?= 3

.PHONY: help setup lab test unit nbval nbval-guides e2e guides notebooks notebooks-run backend-installed lint format bench hub-check clean

help:
	@echo "make lab        set up .venv and open lesson 01 in JupyterLab (127.0.0.1, token on)"
	@echo "make test       set up .venv; then, side by side: unit tests, nbval over notebooks/ with"
	@echo "                every guide's solutions in its notebook's kernel (TensorFlow), and every"
	@echo "                lesson in JupyterLab in Chromium on JAX (cells and checkpoints)"
	@echo "make lab BACKEND=jax    the same lessons on Keras's JAX backend (the fastest lab)"
	@echo "make test BACKEND=torch unit tests and every notebook on PyTorch (pip install torch first)"
	@echo "make guides     run every guide's solution code after its lesson's notebook (make test does too)"
	@echo "make notebooks  re-run every notebook top to bottom in a fresh kernel and save it"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make bench      run the benchmarks in benchmarks/"
	@echo "make hub-check  build what a JupyterHub/Binder image gets (requirements.txt alone) in a copy"
	@echo "                of the repository and run every lesson's set-up cell there (minutes)"

# (Re)build the virtual environment whenever requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) tools/check_python.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --no-compile -q -r requirements.txt
	@touch $(STAMP)

# JupyterLab defaults for the kit (config/jupyterlab-settings.json): no "Jupyter news?" toast
# over lesson 01, no update check. Learners can still change them in JupyterLab's Settings.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/beyond-sequential.json
$(LAB_SETTINGS): config/jupyterlab-settings.json $(STAMP)
	@mkdir -p $(dir $@)
	cp $< $@

setup: $(STAMP) $(LAB_SETTINGS)

lab: setup backend-installed
	@token=$$($(BIN)/python -c "import secrets; print(secrets.token_hex(24))"); \
	echo ""; \
	echo "  Lesson 01 opens at: http://127.0.0.1:$(PORT)/lab/tree/$(FIRST_LESSON)?token=$$token"; \
	echo "  Keras backend: $(BACKEND) (make lab BACKEND=jax for the fastest lab)"; \
	echo "  (open that link yourself if no browser window appears; Ctrl-C twice stops JupyterLab)"; \
	echo ""; \
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
		--IdentityProvider.token=$$token --ServerApp.default_url=/lab/tree/$(FIRST_LESSON) $(ROOT_FLAG)

# Three stages side by side (TEST_JOBS of them at once; each one's output printed when it ends):
# the unit tests; nbval (outputs compared) with each guide's solution blocks run in its
# notebook's kernel after the last cell (conftest.py); and every lesson run in JupyterLab in
# Chromium on $(BROWSER_BACKEND), which checks every cell and checkpoint on a second backend.
test: setup backend-installed
ifeq ($(BACKEND),tensorflow)
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target nbval-guides e2e \
		unit BACKEND=$(BACKEND) E2E_BACKEND=$(BROWSER_BACKEND)
else
	$(BIN)/python -m pytest tests --ignore=tests/e2e
	@$(MAKE) --no-print-directory notebooks-run
endif
# Every notebook top to bottom on $(BACKEND) in a fresh kernel, nothing saved: every cell must
# run and every checkpoint pass. Outputs are not compared: they differ from backend to backend.
notebooks-run: setup backend-installed
	@echo "== every notebook on KERAS_BACKEND=$(BACKEND)"
	$(BIN)/python tools/execute_notebooks.py --no-save notebooks/[0-9]*.ipynb

backend-installed: setup
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('$(BACKEND)') is None)" \
		|| { echo "Keras backend $(BACKEND) is not installed in $(VENV): $(BIN)/pip install $(BACKEND)" \
		"(PyTorch's Linux wheels bring CUDA libraries: about 3 GB to download, 5.7 GB installed)"; exit 1; }

unit: setup
	@echo "== unit tests (KERAS_BACKEND=$(BACKEND))"
	$(BIN)/python -m pytest tests --ignore=tests/e2e

nbval: setup
	$(BIN)/python -m pytest notebooks $(NBVAL)

nbval-guides: setup
	@echo "== nbval, then each guide's solutions in its notebook's kernel (KERAS_BACKEND=$(BACKEND))"
	$(BIN)/python -m pytest notebooks $(NBVAL) --guides

# The browser tests, on $(E2E_BACKEND) (default: the target's backend).
E2E_BACKEND ?= $(BACKEND)
e2e: setup
	@echo "== every lesson in JupyterLab in Chromium (KERAS_BACKEND=$(E2E_BACKEND))"
	KERAS_BACKEND=$(E2E_BACKEND) $(BIN)/python -m pytest tests/e2e

# Every guide's solution code in a kernel after its lesson's notebook, in guide order; the
# guides quote TensorFlow's messages, so the kernels run on TensorFlow (tools/guide_solutions.py).
guides: setup
	$(BIN)/python -m pytest tests/test_guide_solutions.py

notebooks: setup
	KERAS_BACKEND=tensorflow $(BIN)/python tools/execute_notebooks.py notebooks/[0-9]*.ipynb

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# What a JupyterHub or Binder image built by repo2docker gets (runtime.txt, requirements.txt,
# postBuild), checked without Docker in a copy of the repository with a fresh environment;
# then every lesson's set-up cell runs there. Not in `make test`: installing the environment
# alone takes minutes (benchmarks/RESULTS.md); .ci/run calls it.
hub-check:
	bash tools/check_hub_env.sh

bench: setup
	$(BIN)/python tools/execute_notebooks.py --no-save notebooks/[0-9]*.ipynb
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info tests/e2e/screenshots
