# Beyond Sequential: `make lab` to learn, `make test` to check everything, `make check` while
# you work. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FIRST_LESSON := notebooks/01-sequential-to-functional.ipynb
PORT ?= 8888
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg --nbval-cell-timeout=900
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True,)
# The Keras backend: tensorflow (the default, which the committed outputs come from), jax
# (pinned in requirements.txt; the fastest lab) or torch (install it into .venv first).
BACKEND ?= tensorflow
ifeq ($(filter $(BACKEND),tensorflow jax torch),)
$(error BACKEND must be tensorflow, jax or torch, got '$(BACKEND)')
endif
export KERAS_BACKEND := $(BACKEND)
# The backend of the browser tests: a second backend beside nbval's TensorFlow.
E2E_BACKEND ?= jax
# How many of `make test`'s stages run at once (benchmarks/RESULTS.md, "CI on a clean clone").
TEST_JOBS ?= 3
# Each stage's wall and CPU time, appended to $(STAGE_TIMES) when it is set (.ci/run sets it).
TIMED := $(PYTHON) tools/timed.py

.PHONY: help setup lab test check unit nbval nbval-guides e2e guides notebooks notebooks-run \
	lessons backend-installed lint format bench hub-check clean

help:  ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# (Re)build the virtual environment whenever requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) tools/check_python.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --no-compile -q -r requirements.txt
	@# Byte-compile the environment once, on every core: where PYTHONDONTWRITEBYTECODE is set,
	@# every process would otherwise compile TensorFlow's Python files again at import (about
	@# 10 s of CPU per kernel; benchmarks/RESULTS.md, "CI on a clean clone").
	@$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") >/dev/null 2>&1 || true
	@touch $(STAMP)

# JupyterLab defaults for the kit (config/jupyterlab-settings.json): no "Jupyter news?" toast
# over lesson 01, no update check. Learners can still change them in JupyterLab's Settings.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/beyond-sequential.json
$(LAB_SETTINGS): config/jupyterlab-settings.json $(STAMP)
	@mkdir -p $(dir $@)
	cp $< $@

setup: $(STAMP) $(LAB_SETTINGS)  ## build .venv from requirements.txt (every target does it first)

lab: setup backend-installed  ## open lesson 01 in JupyterLab (127.0.0.1, token on); BACKEND=jax for the fastest lab
	@token=$$($(BIN)/python -c "import secrets; print(secrets.token_hex(24))"); \
	echo ""; \
	echo "  Lesson 01 opens at: http://127.0.0.1:$(PORT)/lab/tree/$(FIRST_LESSON)?token=$$token"; \
	echo "  Keras backend: $(BACKEND)$(if $(filter jax,$(BACKEND)),, (make lab BACKEND=jax for the fastest lab))"; \
	echo "  (open that link yourself if no browser window appears; Ctrl-C twice stops JupyterLab)"; \
	echo ""; \
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
		--IdentityProvider.token=$$token --ServerApp.default_url=/lab/tree/$(FIRST_LESSON) $(ROOT_FLAG)

# On TensorFlow: three stages side by side (TEST_JOBS at once, each one's output printed when
# it ends): the unit tests; the lessons (nbval, outputs compared, with each guide's solution
# blocks run in its notebook's kernel (conftest.py), and the lessons' claims checked on seeds
# the notebooks do not use, tests/lessons); every lesson in JupyterLab in Chromium on
# $(E2E_BACKEND). On another backend: the unit tests, the lessons' claims, then every notebook
# run on it (outputs not compared).
ifeq ($(BACKEND),tensorflow)
test: setup backend-installed  ## everything: unit tests, nbval with the guides, the browser tests
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target nbval-guides e2e unit
else
test: unit lessons notebooks-run
endif

# The unit tests on every core (a test file stays on one worker, with its fixtures).
check: lint  ## the everyday check: ruff, then the unit tests on every core (no notebooks, no browser)
	@echo "== unit tests on every core (KERAS_BACKEND=$(BACKEND))"
	$(TIMED) check $(BIN)/python -m pytest tests --ignore=tests/e2e --ignore=tests/lessons -n auto --dist loadfile

unit: setup  ## the unit tests (tests/, without the browser tests and the lessons' claims)
	@echo "== unit tests (KERAS_BACKEND=$(BACKEND))"
	$(TIMED) unit $(BIN)/python -m pytest tests --ignore=tests/e2e --ignore=tests/lessons

lessons: setup  ## the lessons' claims on seeds the notebooks do not use (tests/lessons, minutes)
	$(BIN)/python -m pytest tests/lessons

nbval: setup  ## nbval over notebooks/: every cell re-run and its output compared
	$(BIN)/python -m pytest notebooks $(NBVAL)

nbval-guides: setup  ## nbval, each guide's solutions in its notebook's kernel, the lessons' claims
	@echo "== nbval, then each guide's solutions in its notebook's kernel, and the lessons' claims on other seeds (KERAS_BACKEND=$(BACKEND))"
	$(TIMED) nbval-guides $(BIN)/python -m pytest notebooks tests/lessons $(NBVAL) --guides

e2e: setup  ## every lesson in JupyterLab in Chromium, on E2E_BACKEND (default jax)
	@echo "== every lesson in JupyterLab in Chromium (KERAS_BACKEND=$(E2E_BACKEND))"
	KERAS_BACKEND=$(E2E_BACKEND) $(TIMED) e2e $(BIN)/python -m pytest tests/e2e

# Every notebook top to bottom on $(BACKEND) in a fresh kernel, nothing saved: every cell must
# run and every checkpoint pass. Outputs are not compared: they differ from backend to backend.
notebooks-run: setup backend-installed  ## every notebook on BACKEND, nothing saved, outputs not compared
	@echo "== every notebook on KERAS_BACKEND=$(BACKEND)"
	$(BIN)/python tools/execute_notebooks.py --no-save notebooks/[0-9]*.ipynb

backend-installed: setup
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('$(BACKEND)') is None)" \
		|| { echo "Keras backend $(BACKEND) is not installed in $(VENV): $(BIN)/pip install $(BACKEND)" \
		"(PyTorch's Linux wheels bring CUDA libraries: about 3 GB to download, 5.7 GB installed)"; exit 1; }

# The guides quote TensorFlow's messages, so their kernels run on TensorFlow.
guides: setup  ## every guide's solutions after its notebook, one fresh kernel per guide
	$(BIN)/python -m pytest tests/test_guide_solutions.py

notebooks: setup  ## re-run every notebook in a fresh kernel on TensorFlow and save its outputs
	KERAS_BACKEND=tensorflow $(BIN)/python tools/execute_notebooks.py notebooks/[0-9]*.ipynb

lint: setup  ## ruff check and ruff format --check (seconds)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup  ## ruff format, then ruff check --fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# What a JupyterHub or Binder image built by repo2docker gets (runtime.txt, requirements.txt,
# postBuild), checked without Docker in a copy of the repository with a fresh environment.
hub-check:  ## build what a hub or Binder image gets from requirements.txt alone and run every set-up cell there (minutes)
	$(TIMED) hub-check bash tools/check_hub_env.sh

# A class on one JupyterHub here (tools/hub_test.py, requirements-hub.txt, the proxy from npm):
# LEARNERS learners at once, measured and checked; it stops everything it started. The
# learners' environment is built once into build/hub-test/ and reused while the requirements
# stay the same (the first run takes minutes more). HUB_TEST_FLAGS=--light: CI's light pass.
LEARNERS ?= 4
.PHONY: hub-test
hub-test: setup  ## LEARNERS=4 learners on a local JupyterHub at once: lessons 01 and 04, isolation, culling, a killed kernel; memory, CPU and wall time (environment cached in build/hub-test/)
	$(BIN)/python tools/hub_test.py --learners $(LEARNERS) $(HUB_TEST_FLAGS)

bench: setup  ## time every notebook (nothing saved), then run benchmarks/*.py (ratios side by side)
	$(BIN)/python tools/execute_notebooks.py --no-save notebooks/[0-9]*.ipynb
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:  ## remove .venv, caches and screenshots
	rm -rf $(VENV) .pytest_cache build *.egg-info tests/e2e/screenshots
