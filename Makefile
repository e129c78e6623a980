# Two commands on a fresh machine: `make run` (local portal on the embedded AWS) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test test-unit test-functional test-browser test-infra bench lint clean infra-deps

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/parley dev --port $(PORT)

# On every core (pytest-xdist): each worker has its own emulator and browser stack; the one CDK
# synthesis is shared (tests/infra/conftest.py).
test: $(STAMP) infra-deps
	$(BIN)/python -m pytest -n auto

# infra/ tests: the CDK CLI (npm, pinned in infra/package-lock.json) and checkov (its own venv).
INFRA_NODE := infra/node_modules/.installed
INFRA_CHECKOV := infra/.venv-checkov/.installed

infra-deps: $(INFRA_NODE) $(INFRA_CHECKOV)

$(INFRA_NODE): infra/package.json infra/package-lock.json
	@command -v npm >/dev/null || { echo "infra/ needs Node.js and npm: apt-get install nodejs npm" >&2; exit 1; }
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(INFRA_CHECKOV): infra/requirements-checkov.txt
	test -x infra/.venv-checkov/bin/python || $(PYTHON) -m venv infra/.venv-checkov
	infra/.venv-checkov/bin/python -m pip install --quiet -r infra/requirements-checkov.txt
	touch $@

# One tier at a time (make test runs them all).
test-unit: $(STAMP)
	$(BIN)/python -m pytest -m unit

test-functional: $(STAMP)
	$(BIN)/python -m pytest -m functional

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

test-infra: $(STAMP) infra-deps
	$(BIN)/python -m pytest -m infra

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# The web client's types: tsc (npm, pinned in package-lock.json) checks web/assets/js's JSDoc
# against tsconfig.json (strict); it builds nothing, the browser runs the modules as they are.
WEB_NODE := node_modules/.installed

$(WEB_NODE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs Node.js and npm: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(STAMP) $(WEB_NODE)
	$(BIN)/ruff check . && $(BIN)/mypy chalicelib parley_dev app.py && node_modules/.bin/tsc --noEmit -p tsconfig.json

clean:
	rm -rf $(VENV) .pytest_cache node_modules infra/node_modules infra/.venv-checkov infra/cdk.out
