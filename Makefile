# The collection's commands. `make lab` opens it; `make test` runs every test.
# Each does its own set-up: a virtual environment in .venv with the pinned
# requirements and lecturelib installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?= 00_start_here
# JupyterLab refuses to run as root unless told; containers often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# The notebooks multiply small matrices, where one BLAS thread is fastest.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1

.PHONY: lab test lint notebooks check-notebooks browser present bench venv clean help

help:
	@echo "make lab        open the collection in JupyterLab"
	@echo "make test       run every test (lint, unit, doctests, notebooks, browser)"
	@echo "make notebooks  re-execute every notebook and save it"
	@echo "make present NB=05_edge_detection   serve one notebook as an app (Voila)"
	@echo "make bench      print the benchmark tables"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml scripts/jupyter_overrides.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/jupyter_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

lab: venv
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_start_here.ipynb

present: venv
	$(BIN)/voila --no-browser --strip_sources=True notebooks/$(NB).ipynb

test: venv lint
	$(BIN)/python -m pytest -n 2 --dist loadfile tests lecturelib --doctest-modules \
		--nbval notebooks --nbval-current-env
	$(BIN)/python -m pytest -p no:cacheprovider tests_browser

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

notebooks: venv
	$(BIN)/python scripts/notebooks.py execute

browser: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests_browser

check-notebooks: venv
	$(BIN)/python scripts/notebooks.py check

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
