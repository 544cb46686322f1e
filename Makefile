# AutoML on Variants: on a fresh machine, two commands do all the set-up.
#   make book   install (first time) and build the course website
#   make test   install (first time) and run every test
# A workshop's own site:  make book WORKSHOP=workshops/NAME.yml
# Everything installs into .venv from the pinned versions in requirements/.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# One constraints file per Python minor version: newer releases of numpy and
# friends drop old Pythons, so each version has its own pinned set.
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
# The Pythons with a pinned set for `make` (3.14 is pinned for workshop packs only:
# scikit-allel, a test reference, has no 3.14 wheel yet).
PINNED_PYTHONS := 3.10 3.11 3.12 3.13
CONSTRAINTS := requirements/constraints-py$(PYTHON_VERSION).txt
INSTALLED := $(VENV)/.installed-py$(PYTHON_VERSION)
PYTEST_ARGS ?=
# `make test` and `make test-fast` run on this many processes (pytest-xdist; TEST_WORKERS=0 for one, to
# debug). What must run in one process stays together: a notebook's cells, a test
# file's tests, the tests of the built course site (work_unit in tests/conftest.py).
TEST_WORKERS ?= 2
# A workshop configuration (workshops/NAME.yml); empty builds the full course.
WORKSHOP ?=
# The site site-check opens: a workshop's when WORKSHOP is given.
SITE ?= $(if $(strip $(WORKSHOP)),_build/workshops/$(basename $(notdir $(WORKSHOP)))/_build/html,_build/html)

.PHONY: help install book test lint exercises solutions data constraints clean \
	workshop-check workshop-pack workshop-guide site-check check-env jupyter-kernel \
	pack-check publish

help:
	@echo "make book        build the course website into _build/html (installs first)"
	@echo "make book WORKSHOP=workshops/NAME.yml   that workshop's site and pack (the site links the pack)"
	@echo "make workshop-pack WORKSHOP=workshops/NAME.yml   the participants' download only"
	@echo "make workshop-guide WORKSHOP=workshops/NAME.yml  the instructors' site: schedule, answers"
	@echo "make workshop-check   check every workshop file, .yml and .yaml (or WORKSHOP=...)"
	@echo "make pack-check WORKSHOP=workshops/NAME.yml  set the built pack up as a participant"
	@echo "                 would and run an AutoML exercise; fails on any warning (slow)"
	@echo "make publish     what GitHub Pages serves: the course and every workshop with"
	@echo "                 publish: true, checked for leaks, into _build/pages"
	@echo "make site-check  open every page of a built site in Chromium (SITE=_build/html, or"
	@echo "                 WORKSHOP=...: fails on any solution the workshop has not released)"
	@echo "make check-env   is this machine ready for the course? (one line per check)"
	@echo "make jupyter-kernel   install, then register the kernel 'Python (vcfml)' for your Jupyter"
	@echo "make test        run all tests: unit, notebooks (nbval), exercises, book build"
	@echo "make test-fast   the library's tests without the slow ones (a couple of minutes)"
	@echo "make test-other-cpus   the solution notebooks under other CPUs' arithmetic (OpenBLAS, numba)"
	@echo "make exercises   regenerate exercises/ from solutions/"
	@echo "make solutions   re-execute solutions/ so their outputs are fresh"
	@echo "make data        regenerate the datasets in data/ byte for byte"
	@echo "make lint        ruff"
	@echo "make constraints pin new dependencies for every pinned Python (maintainers; UPGRADE=1)"
	@echo ""
	@echo "Pinned Pythons: $(PINNED_PYTHONS) (PYTHON=python3.11 to choose); 3.14 for workshop packs only."

$(INSTALLED): pyproject.toml $(wildcard $(CONSTRAINTS))
	@test -n "$(PYTHON_VERSION)" || { echo "PYTHON=$(PYTHON) does not run here: install Python $(lastword $(PINNED_PYTHONS)) or name one that runs, e.g. make PYTHON=python3.11 ..."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "vcfml needs Python 3.10 or newer: run make PYTHON=python3.11 ...")'
	@test -n "$(filter $(PYTHON_VERSION),$(PINNED_PYTHONS))" || { echo "No pinned versions for Python $(PYTHON_VERSION) for make: use one of $(PINNED_PYTHONS) (make PYTHON=python3.11 ...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c $(CONSTRAINTS) pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev,scale,tracking]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python (vcfml)" > /dev/null
	touch $@

install: $(INSTALLED)

book: $(INSTALLED)
ifeq ($(strip $(WORKSHOP)),)
	$(BIN)/python tools/build_book.py
else
	$(BIN)/python tools/workshop.py build $(WORKSHOP)
endif

workshop-check: $(INSTALLED)
	$(BIN)/python tools/workshop.py check $(WORKSHOP)

workshop-pack: $(INSTALLED)
	@test -n "$(WORKSHOP)" || { echo "usage: make workshop-pack WORKSHOP=workshops/NAME.yml"; exit 1; }
	$(BIN)/python tools/workshop_pack.py $(WORKSHOP)

workshop-guide: $(INSTALLED)
	@test -n "$(WORKSHOP)" || { echo "usage: make workshop-guide WORKSHOP=workshops/NAME.yml"; exit 1; }
	$(BIN)/python tools/workshop.py build $(WORKSHOP) --instructors

# Optional and slow: the pack's own environment (setup.sh), one exercise executed in it.
pack-check: $(INSTALLED)
	@test -n "$(WORKSHOP)" || { echo "usage: make pack-check WORKSHOP=workshops/NAME.yml"; exit 1; }
	$(BIN)/python tools/workshop_pack_check.py $(WORKSHOP)

# The one GitHub Pages deployment (.github/workflows/pages.yml): see workshops/README.md.
publish: $(INSTALLED)
	$(BIN)/python tools/publish.py build --site-check

# Screenshots of every page go beside the site: SITE/../screenshots.
site-check: $(INSTALLED)
	$(BIN)/python tools/check_site.py $(SITE) $(if $(strip $(WORKSHOP)),--workshop $(WORKSHOP))

check-env: $(INSTALLED)
	$(BIN)/vcfml check-env --data data --constraints $(CONSTRAINTS)

# For a Jupyter that runs outside .venv (an Azure ML compute instance, a JupyterHub):
# the kernel appears in its launcher as "Python (vcfml)".
jupyter-kernel: $(INSTALLED)
	$(BIN)/python -m ipykernel install --user --name vcfml --display-name "Python (vcfml)"

# nbval compares the notebooks' decimal numbers to a relative 1e-4, not as text
# (tests/nbval_numbers.py): the last digit of a long number is CPU rounding noise.
NBVAL := --nbval --nbval-current-env -p tests.nbval_numbers

test: $(INSTALLED) lint
	$(BIN)/python tools/make_exercises.py --check
	$(BIN)/python -m pytest tests solutions $(NBVAL) \
		-n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# The solution notebooks again, under other CPUs' arithmetic: OpenBLAS's generic
# SSE3 kernel (Prescott) with numba compiling for a generic x86-64, then OpenBLAS's
# AVX2 kernel (Haswell, where the CPU has AVX2). A number a notebook shows must
# not depend on the machine (issue 27); .ci/run runs this after make test. Where
# the machine itself sets OPENBLAS_CORETYPE (some processors need a safe kernel),
# that choice is kept and the other kernels are not tried.
.PHONY: test-other-cpus
test-other-cpus: $(INSTALLED)
	@if [ -n "$${OPENBLAS_CORETYPE:-}" ]; then \
		echo "OPENBLAS_CORETYPE=$$OPENBLAS_CORETYPE is set by this machine: kept, other kernels not tried"; \
		exit 0; fi; \
	set -e; \
	echo "== solutions under OPENBLAS_CORETYPE=Prescott NUMBA_CPU_NAME=generic"; \
	OPENBLAS_CORETYPE=Prescott NUMBA_CPU_NAME=generic $(BIN)/python -m pytest solutions $(NBVAL) \
		-n $(TEST_WORKERS) --dist loadscope -p no:cacheprovider $(PYTEST_ARGS); \
	if grep -qw avx2 /proc/cpuinfo; then \
		echo "== solutions under OPENBLAS_CORETYPE=Haswell"; \
		OPENBLAS_CORETYPE=Haswell $(BIN)/python -m pytest solutions $(NBVAL) \
			-n $(TEST_WORKERS) --dist loadscope -p no:cacheprovider $(PYTEST_ARGS); \
	else echo "no AVX2 on this CPU: the Haswell kernel cannot run here"; fi

# The library's tests without the slow ones (AutoML searches, Dask, notebooks,
# packs, the book; see SLOW_TESTS in tests/conftest.py): for the edit-test loop.
.PHONY: test-fast
test-fast: $(INSTALLED)
	$(BIN)/python -m pytest tests -m "not slow and not book" -p tests.nbval_numbers \
		-n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check src tools tests benchmarks book/_ext
	$(BIN)/ruff format --check src tools tests benchmarks book/_ext

exercises: $(INSTALLED)
	$(BIN)/python tools/make_exercises.py

solutions: $(INSTALLED)
	$(BIN)/python tools/execute_solutions.py

data: $(INSTALLED)
	$(BIN)/python tools/make_data.py

# Maintainers: pin new dependencies for every Python in tools/pin_requirements.py at once, keeping
# the existing pins (UPGRADE=1 re-resolves everything at the newest versions).
constraints: $(INSTALLED)
	$(BIN)/python tools/pin_requirements.py $(if $(UPGRADE),--upgrade)

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
