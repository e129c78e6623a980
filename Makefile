# Two commands on a fresh machine: `make run` (local portal on the embedded AWS) and `make test`.
# The functions' runtime and this venv's Python: one setting (infra/ reads it too).
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The root package.json's npm packages (below): tsc for `make lint`, axe-core for the browser tier.
WEB_NODE := node_modules/.installed
# The local stack's OpenID provider (parley_dev/local/oidc: oidc-provider, pinned in its own
# package-lock.json), which `make run` and the functional and browser tiers start.
OIDC_NODE := parley_dev/local/oidc/node_modules/.installed
PORT ?= 8000

.PHONY: oidc-deps run test test-unit test-functional test-browser test-infra test-deployed bench bench-deployed lint clean infra-deps lock wheelhouse

# The run-time packages come from the lock with their hashes checked (pip's hash-checking mode
# covers a whole install, so the tools, which have no hashes, are a second install); the tools are
# resolved around the lock's versions (its pins without hashes as constraints), so a tool that
# needs another version of a run-time package fails here instead of quietly replacing it.
LOCK_PINS := $(VENV)/lock-pins.txt

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml .python-version
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# chalice (chalice package, the deployed tier) declares pip<26.3.
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	sed -n 's/^\([A-Za-z0-9._-]*==[^ ;]*\).*/\1/p' requirements.txt > $(LOCK_PINS)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c $(LOCK_PINS)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# requirements.txt is generated: edit requirements.in, then `make lock` (docs/deploy.md, "The
# lock"). Existing pins are kept unless requirements.in forces a move; `make lock UPGRADE=1` moves
# every transitive package to its newest release. Resolved for the Lambda runtime (CPython 3.11
# on x86_64 Linux), with the sha256 of every file PyPI has for each pin; the wheelhouse is refilled
# right after, which fails if a pin has no wheel Lambda can run.
lock: $(STAMP)
	$(BIN)/uv pip compile requirements.in --output-file requirements.txt --generate-hashes \
		--python-version $(PYTHON_VERSION) --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade)
	$(MAKE) wheelhouse

# The layer's wheels, once per lock, for an offline synth: exactly what Chalice's packager would
# fetch for the runtime on Lambda (CPython wheels for glibc up to 2.26, no sdists), for both
# architectures (the functions run on arm64; the deployed tier runs them on this machine's), each
# checked against its hash in requirements.txt. tests/infra synthesise from it alone
# (PIP_NO_INDEX=1, PIP_FIND_LINKS=.wheelhouse); the copy of requirements.txt in it says which lock
# it holds.
WHEELHOUSE := .wheelhouse
WHEELHOUSE_LOCK := $(WHEELHOUSE)/requirements.txt
LAMBDA_WHEELS = --only-binary=:all: --implementation cp --python-version $(PYTHON_VERSION) \
	--abi cp$(subst .,,$(PYTHON_VERSION)) \
	$(foreach minor,17 18 19 20 21 22 23 24 25 26,--platform manylinux_2_$(minor)_$(1)) \
	--platform manylinux2014_$(1)

wheelhouse: $(WHEELHOUSE_LOCK)

$(WHEELHOUSE_LOCK): requirements.txt .python-version | $(STAMP)
	rm -rf $(WHEELHOUSE).partial
	$(foreach machine,aarch64 x86_64,$(BIN)/python -m pip download --quiet --require-hashes \
		$(call LAMBDA_WHEELS,$(machine)) --dest $(WHEELHOUSE).partial -r requirements.txt &&) true
	cp requirements.txt $(WHEELHOUSE).partial/requirements.txt
	rm -rf $(WHEELHOUSE) && mv $(WHEELHOUSE).partial $(WHEELHOUSE)

run: $(STAMP) $(OIDC_NODE)
	$(BIN)/parley dev --port $(PORT)

# On every core (pytest-xdist): each worker has its own emulator and browser stack; the one CDK
# synthesis is shared (tests/infra/conftest.py).
test: $(STAMP) $(WEB_NODE) $(OIDC_NODE) infra-deps
	$(BIN)/python -m pytest -n auto

# infra/ tests: the CDK CLI (npm, pinned in infra/package-lock.json), checkov (its own venv) and
# the layer's wheelhouse (above): after these, a synth needs no network.
INFRA_NODE := infra/node_modules/.installed
INFRA_CHECKOV := infra/.venv-checkov/.installed

infra-deps: $(INFRA_NODE) $(INFRA_CHECKOV) $(WHEELHOUSE_LOCK)

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

test-functional: $(STAMP) $(OIDC_NODE)
	$(BIN)/python -m pytest -m functional

test-browser: $(STAMP) $(WEB_NODE) $(OIDC_NODE)
	$(BIN)/python -m pytest -m browser

test-infra: $(STAMP) infra-deps
	$(BIN)/python -m pytest -m infra

# The packaged functions on the synthesised stack in moto's CloudFormation (tests/deployed/).
test-deployed: $(STAMP) infra-deps
	$(BIN)/python -m pytest -m deployed

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# The packaged API function's cold start on the emulated stack, against the import floor.
bench-deployed: $(STAMP) infra-deps
	$(BIN)/python -m tests.bench_deployed

# The web client's types: tsc (npm, pinned in package-lock.json) checks web/assets/js's JSDoc
# against tsconfig.json (strict); it builds nothing, the browser runs the modules as they are.
# axe-core, pinned beside it, is what tests/browser/test_accessibility.py runs in every page.

$(WEB_NODE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make lint and the browser tests need Node.js and npm: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

oidc-deps: $(OIDC_NODE)

$(OIDC_NODE): parley_dev/local/oidc/package.json parley_dev/local/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "the local OpenID provider needs Node.js and npm: apt-get install nodejs npm" >&2; exit 1; }
	cd parley_dev/local/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(STAMP) $(WEB_NODE)
	$(BIN)/ruff check . && $(BIN)/mypy chalicelib parley_dev app.py && node_modules/.bin/tsc --noEmit -p tsconfig.json

clean:
	rm -rf $(VENV) .pytest_cache node_modules infra/node_modules infra/.venv-checkov infra/cdk.out \
		parley_dev/local/oidc/node_modules \
		$(WHEELHOUSE) $(WHEELHOUSE).partial
