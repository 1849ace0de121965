# Two commands for a fresh machine (see README.md): `make workshop` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: workshop test lint chromium

# The type checker (pyproject.toml's [tool.mypy]): infra/ and benchmarks/, then each app of lambdas/
# on its own, since each is a Lambda zip root whose modules `import common` (the Python apps: those
# with a common.py).
MYPY = $(BIN)/mypy && for app in $(dir $(wildcard lambdas/*/common.py)); do \
	MYPYPATH=$$app $(BIN)/mypy --explicit-package-bases --cache-dir .mypy_cache/$$app $$app || exit 1; done

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.workshop-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.workshop-installed

# The AWS SDK for JavaScript v3 that the nodejs* runtimes provide, as Lambda's do: npm ci of the
# pinned lock (infra/local/runtime/node/sdk/) with the Node.js the kit finds, into $(VENV)/node-sdk
# (about 40 MB, a few seconds). Without Node.js 20+ it says so and the Python kit is whole.
# The tests' v2 `aws-sdk` (108 MB), which they bundle into zips as the seeds' handlers need, the same way.
NODE_INSTALL = $(BIN)/python -c 'import sys; from infra.local.runtime import node_sdk; sys.exit(node_sdk.main(sys.argv))'
NODE_SDK := $(VENV)/node-sdk/.installed
$(NODE_SDK): infra/local/runtime/node/sdk/package-lock.json | $(BIN)/python
	$(NODE_INSTALL) install
NODE_SDK_V2 := $(VENV)/node-aws-sdk-v2/.installed
$(NODE_SDK_V2): tests/local/runtime/aws-sdk-v2/package-lock.json | $(BIN)/python
	$(NODE_INSTALL) install tests/local/runtime/aws-sdk-v2 $(VENV)/node-aws-sdk-v2

# The SAM CLI and the AWS CLI that tests/tools runs, in a venv of their own (their boto3 pins
# clash with the kit's); tests/tools/tools_env.py looks for them here.
SAM_VENV := .venv-sam
$(SAM_VENV)/.installed: tests/tools/requirements.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet -r tests/tools/requirements.txt
	touch $@

# Debian's Chromium for the browser test, and curl for the custom-runtime tests, when missing.
chromium:
	bash scripts/ensure-chromium.sh

## The workshop: the local cloud and JupyterLab on notebooks/.
workshop: $(VENV)/.workshop-installed $(NODE_SDK)
	$(BIN)/workshop up

## Every test: lint, pytest, nbval over notebooks/ and solutions/, the browser test.
## Three pytest workers on two cores (the tests mostly wait for the clouds' states: at two workers
## the CPUs were 38 % busy); each test file runs whole on one (a worker's files share its cloud).
## Starting the long grading files first measured slower (740 s against 703 s): they fight for
## the two cores.
## The clouds run at the short timing (tests/conftest.py), lessons 01 and 02 at the defaults as
## learners run them (tests/nbval_timing.py).
## The two venvs and Debian's Chromium install side by side (about 45 s each), then the SDKs.
test:
	$(MAKE) --jobs=3 --no-print-directory $(VENV)/.test-installed $(SAM_VENV)/.installed chromium
	$(MAKE) --no-print-directory $(NODE_SDK) $(NODE_SDK_V2)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)
	$(BIN)/python -m pytest tests notebooks solutions --nbval-lax -p no:cacheprovider -p tests.nbval_timing -n 3 --dist loadfile

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)
