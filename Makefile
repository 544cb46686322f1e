# AutoML on Variants: on a fresh machine, two commands do all the set-up.
#   make book   install (first time) and build the course website
#   make test   install (first time) and run every test
# Everything installs into .venv from the pinned versions in requirements/.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# One constraints file per Python minor version: newer releases of numpy and
# friends drop old Pythons, so each version has its own pinned set.
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
CONSTRAINTS := requirements/constraints-py$(PYTHON_VERSION).txt
INSTALLED := $(VENV)/.installed-py$(PYTHON_VERSION)
PYTEST_ARGS ?=

.PHONY: help install book test lint exercises solutions data constraints clean

help:
	@echo "make book        build the course website into _build/html (installs first)"
	@echo "make test        run all tests: unit, notebooks (nbval), exercises, book build"
	@echo "make exercises   regenerate exercises/ from solutions/"
	@echo "make solutions   re-execute solutions/ so their outputs are fresh"
	@echo "make data        regenerate the datasets in data/ byte for byte"
	@echo "make lint        ruff"
	@echo "make constraints re-pin requirements/ for this Python (maintainers)"

$(INSTALLED): pyproject.toml $(wildcard $(CONSTRAINTS))
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "vcfml needs Python 3.10 or newer: run make PYTHON=python3.11 ...")'
	@test -f $(CONSTRAINTS) || { echo "No pinned versions for Python $(PYTHON_VERSION) in requirements/: use Python 3.10, 3.11 or 3.12 (make PYTHON=python3.11 ...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c $(CONSTRAINTS) pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python (vcfml)" > /dev/null
	touch $@

install: $(INSTALLED)

book: $(INSTALLED)
	$(BIN)/python tools/build_book.py

test: $(INSTALLED) lint
	$(BIN)/python tools/make_exercises.py --check
	$(BIN)/python -m pytest tests solutions --nbval --nbval-current-env $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check src tools tests benchmarks
	$(BIN)/ruff format --check src tools tests benchmarks

exercises: $(INSTALLED)
	$(BIN)/python tools/make_exercises.py

solutions: $(INSTALLED)
	$(BIN)/python tools/execute_solutions.py

data: $(INSTALLED)
	$(BIN)/python tools/make_data.py

# Maintainers: re-resolve the newest versions allowed by pyproject.toml in a
# scratch environment and pin them for this Python.
constraints:
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	.venv-pin/bin/python -m pip install --quiet -e ".[dev]"
	.venv-pin/bin/python -m pip freeze --all --exclude-editable | grep -v '^vcfml' > $(CONSTRAINTS)
	rm -rf .venv-pin

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
