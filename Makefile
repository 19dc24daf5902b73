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

# The JupyterLite site (`make lite`) and its tests: a build environment and a
# stand-in for the in-browser kernel (CPython with Pyodide's package versions).
LITE_VENV := .venv-lite
LITE_STAMP := $(LITE_VENV)/.installed
STANDIN_VENV := .venv-pyodide
STANDIN_STAMP := $(STANDIN_VENV)/.installed

.PHONY: lab test lint notebooks check-notebooks student browser present bench venv clean help lite lite-test

help:
	@echo "make lab        open the collection in JupyterLab"
	@echo "make test       run every test (lint, unit, doctests, notebooks, browser)"
	@echo "make notebooks  re-execute every notebook and save it"
	@echo "make student    write student versions (no solutions) to build/student/"
	@echo "make present NB=05_edge_detection   serve one notebook as an app (Voila)"
	@echo "make bench      print the benchmark tables"
	@echo "make lite       build the in-browser site (JupyterLite) into build/lite"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml scripts/jupyter_overrides.json scripts/jupyter_config/*.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/jupyter_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	mkdir -p $(VENV)/etc/jupyter
	cp scripts/jupyter_config/jupyter_server_config.py scripts/jupyter_config/voila.py $(VENV)/etc/jupyter/
	touch $(STAMP)

lab: venv
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_start_here.ipynb

present: venv
	$(BIN)/voila --no-browser --strip_sources=True notebooks/$(NB).ipynb

test: venv lint
	$(BIN)/python -m pytest -n 2 --dist loadfile tests lecturelib --doctest-modules \
		--nbval notebooks --nbval-current-env
	$(BIN)/python -m pytest -p no:cacheprovider tests_browser
	$(MAKE) lite-test

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

notebooks: venv
	$(BIN)/python scripts/notebooks.py execute

browser: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests_browser

# Student versions: worked solutions replaced by a stub (nbgrader's ClearSolutions),
# outputs of exercise and solution cells cleared, hints kept.
student: venv
	$(BIN)/python scripts/exercises.py student --out build/student

check-notebooks: venv
	$(BIN)/python scripts/notebooks.py check

bench: venv
	$(BIN)/python benchmarks/run_all.py

$(LITE_STAMP): requirements-lite.txt
	test -x $(LITE_VENV)/bin/python || $(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install --quiet -r requirements-lite.txt
	touch $(LITE_STAMP)

lite: $(LITE_STAMP)
	$(LITE_VENV)/bin/python scripts/build_lite.py

$(STANDIN_STAMP): requirements-pyodide.txt
	test -x $(STANDIN_VENV)/bin/python || $(PYTHON) -m venv $(STANDIN_VENV)
	$(STANDIN_VENV)/bin/python -m pip install --quiet -r requirements-pyodide.txt
	touch $(STANDIN_STAMP)

# The site's tests: build it, check it, open it offline in Chromium, then run
# the whole collection in the stand-in with the lecturelib wheel the site ships.
lite-test: venv lite $(STANDIN_STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests_lite/test_site.py tests_lite/test_lite_browser.py
	$(STANDIN_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall build/lite/static/pyodide/lecturelib-*.whl
	# nbval takes one sanitize file: the project's rules plus the stand-in's own
	mkdir -p build
	cat tests/nbval_sanitize.cfg tests_lite/standin_sanitize.cfg > build/standin_sanitize.cfg
	$(STANDIN_VENV)/bin/python -m pytest -p no:cacheprovider -n 2 --dist loadfile \
		tests_lite/test_standin.py --nbval notebooks --nbval-current-env \
		--nbval-sanitize-with build/standin_sanitize.cfg

clean:
	rm -rf $(VENV) $(LITE_VENV) $(STANDIN_VENV) build .pytest_cache .ruff_cache
