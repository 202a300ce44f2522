# Two commands for a newcomer: `make demo` (the main job) and `make test` (everything CI checks).
SHELL := /bin/bash
PULUMI_BIN_DIR := $(if $(PULUMI_HOME),$(PULUMI_HOME),$(HOME)/.pulumi)/bin
export PATH := $(CURDIR)/.venv/bin:$(PULUMI_BIN_DIR):$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true
PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: setup lint test dist pythons demo bench clean

setup:
	@bash tools/setup.sh

lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy
	@for program in examples/*/__main__.py examples/*/*/__main__.py; do \
		(cd "$$(dirname "$$program")" && MYPYPATH="$(CURDIR)" $(PYTHON) -m mypy --config-file "$(CURDIR)/pyproject.toml" \
			--no-error-summary --no-warn-unused-configs __main__.py) || exit 1; done

# The whole suite on the default Python, the built wheel as a user installs it, then the unit and
# policy tests on the other supported Pythons.
test: setup lint
	$(PYTHON) -m pytest $(PYTEST_ARGS)
	@$(PYTHON) tools/dist_check.py
	@bash tools/pythons.sh

# Build the sdist and wheel, check them, and run the quickstart and policy pack from the installed wheel.
dist: setup
	@$(PYTHON) tools/dist_check.py

# Unit and policy tests on Python 3.10, 3.12 and 3.13 (a missing one fails under CI=true).
pythons: setup
	@bash tools/pythons.sh

demo: setup
	@$(PYTHON) -m examples.demo

bench: setup
	$(PYTHON) tests/benchmarks/run.py $(if $(QUICK),--quick,)

clean:
	rm -rf .venv .venv-3.* .demo dist build .pytest_cache .mypy_cache .ruff_cache
