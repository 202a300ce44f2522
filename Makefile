# Two commands for a newcomer: `make demo` (the main job) and `make test` (everything CI checks).
SHELL := /bin/bash
PULUMI_BIN_DIR := $(if $(PULUMI_HOME),$(PULUMI_HOME),$(HOME)/.pulumi)/bin
export PATH := $(CURDIR)/.venv/bin:$(PULUMI_BIN_DIR):$(PATH)
export PULUMI_SKIP_UPDATE_CHECK := true
PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: setup lint test dist pythons demo bench soak clean

setup:
	@bash tools/setup.sh

lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy
	@for program in examples/*/__main__.py examples/*/*/__main__.py; do \
		(cd "$$(dirname "$$program")" && MYPYPATH="$(CURDIR)" MYPY_CACHE_DIR="$(CURDIR)/.mypy_cache" \
			$(PYTHON) -m mypy --config-file "$(CURDIR)/pyproject.toml" \
			--no-error-summary --no-warn-unused-configs __main__.py) || exit 1; done

# Everything CI checks, in stages with banners and a summary (tools/run_tests.py): lint; then the
# whole suite on the default Python (two workers) beside the wheel check, the other Pythons and the
# lowest allowed dependency versions.
test: setup
	@$(PYTHON) tools/run_tests.py

# Build the sdist and wheel, check them, and run the quickstart and policy pack from the installed wheel.
dist: setup
	@$(PYTHON) tools/dist_check.py

# Unit and policy tests on Python 3.10, 3.12 and 3.13 and on the lowest allowed dependency versions
# (a missing Python fails under CI=true).
pythons: setup
	@bash tools/pythons.sh

demo: setup
	@$(PYTHON) -m examples.demo

# The long soak: one stack through 2+ simulated years in 60+ runs of `pulumi up --yes --refresh`
# (SEED=n for another schedule); prints a row per run and a summary. `make test` runs a short slice.
soak: setup
	$(PYTHON) -m tests.soak $(if $(SEED),--seed $(SEED),)

bench: setup
	$(PYTHON) tests/benchmarks/run.py $(if $(QUICK),--quick,)

clean:
	rm -rf .venv .venv-* .demo dist build .pytest_cache .mypy_cache .ruff_cache .test-logs
