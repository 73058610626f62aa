# One command to try it (`make demo`), one to test it (`make test`). Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast check install browser serve clean

# pip shows errors only (-qq): a failed install still prints pip's error and stops make. Its warnings are noise
# here: a pip configuration with extra local indexes warns about every package they lack, and setuptools' editable
# build notes that folders named like a package come first on import (here those folders are the packages).
PIP_INSTALL := $(BIN)/python -m pip install --quiet --quiet

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip

install: $(BIN)/python
	$(PIP_INSTALL) -e ".[test]"

demo: install
	$(BIN)/viktig demo

serve: install
	$(BIN)/viktig db upgrade
	$(BIN)/viktig serve

# Browser tests drive Debian's Chromium; install it when we are allowed to (root with apt), else they are skipped.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# On every core (pytest-xdist), a test file per worker at a time: module-scoped set-up is built once, and a file's
# tests run in their order. (Not loadgroup: pytest-xdist 3.8 cannot group tests under pytest 9.2.)
test: install browser
	$(BIN)/python -m pytest -n auto --dist loadfile

# The inner loop while changing code: everything but the browser, slow and PostgreSQL tests (`make test` runs all).
test-fast: $(BIN)/python
	TEST_DATABASE_URL= $(BIN)/python -m pytest -q -m "not browser and not slow and not postgres"

# Quality gates: lint, formatting and strict types (configured in pyproject.toml). CI runs this before the tests.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) viktig.db viktig.db-wal viktig.db-shm viktig.db.secret
