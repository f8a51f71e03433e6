# Connectability: `make dev` runs the product locally, `make test` proves it. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
# The template's scanners pin their own boto3 and friends: they get a virtual environment of their own too.
SCAN_VENV := .venv-scan
BIN := $(VENV)/bin
SAM_CLI_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30
CFN_LINT_VERSION := 1.58.0
CFN_LINT_SERVERLESS_VERSION := 0.3.6
REGION ?= us-east-1
# make redrive: which dead-letter queues (all, or a queue name such as copy-jobs), of which stack, where.
QUEUE ?= all
STACK ?= connectability-local
ENDPOINT ?= http://127.0.0.1:5000
export PYTHONPATH := shared:functions:.
export SAM_CLI_TELEMETRY := 0
# sam build for python3.13 needs that interpreter: use pyenv's where the machine has one.
PY313 := $(shell command -v pyenv >/dev/null 2>&1 && pyenv versions --bare 2>/dev/null | grep -m1 '^3\.13')

.PHONY: browser console-dist dev test lint typecheck scan redrive smoke cost docs-images unit integration e2e openapi build bench faults load clean

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	touch $@

# Swagger UI for the API reference at /docs, pdf.js for the console's viewer, axe-core for the browser tests;
# pinned by package-lock.json (scripts off: none is needed).
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The console as the cloud's bucket serves it: console/ and the pdf.js files its viewer loads (nothing else of npm).
PDFJS := node_modules/pdfjs-dist
console-dist: node_modules/.installed  ## writes .console/: the console and its vendor/pdfjs/ files, ready for `aws s3 sync`
	rm -rf .console && mkdir -p .console/vendor/pdfjs/build
	cp -r console/. .console/
	cp $(PDFJS)/build/pdf.min.mjs $(PDFJS)/build/pdf.worker.min.mjs .console/vendor/pdfjs/build/
	cp -r $(PDFJS)/cmaps $(PDFJS)/standard_fonts $(PDFJS)/wasm $(PDFJS)/iccs $(PDFJS)/LICENSE .console/vendor/pdfjs/

# The browser tests drive Debian's chromium (Playwright cannot download its own browser on every machine).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

$(SAM_VENV)/.installed:
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

$(SCAN_VENV)/.installed:
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install -q --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install -q checkov==$(CHECKOV_VERSION) cfn-lint==$(CFN_LINT_VERSION) \
		cfn-lint-serverless==$(CFN_LINT_SERVERLESS_VERSION)
	touch $@

dev: $(VENV)/.installed node_modules/.installed  ## the local stack with demo data (options: ARGS="--api-port 3000 --aws-port 5000 --seed demo")
	$(BIN)/python -m local $(ARGS)

test: $(VENV)/.installed $(SAM_VENV)/.installed $(SCAN_VENV)/.installed node_modules/.installed browser lint typecheck  ## ruff, import contracts, mypy, then every test (scanners included)
	SAM_BIN=$(SAM_VENV)/bin/sam SCAN_BIN=$(SCAN_VENV)/bin CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n 2 -q

docs-images: $(VENV)/.installed node_modules/.installed browser  ## the README's screenshots in docs/, from the browser tests
	CHROMIUM=$(CHROMIUM) DOCS_IMAGES=1 $(BIN)/python -m pytest -q tests/browser

scan: $(SCAN_VENV)/.installed  ## checkov and cfn-lint's serverless rules over template.yaml (make test runs them too)
	$(SCAN_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download
	$(SCAN_VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

redrive: $(VENV)/.installed  ## dead letters back to their queues; the local stack unless STACK=<name> ENDPOINT= (AWS)
	$(if $(ENDPOINT),AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-local} \
		AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-$(REGION)},) \
		$(BIN)/python -m ops.redrive $(QUEUE) --stack $(STACK) $(if $(ENDPOINT),--endpoint $(ENDPOINT),)

# make smoke: the deployed stack named STACK (your AWS credentials and region), or the local stack of `make dev`.
LOCAL_API ?= http://127.0.0.1:3000
smoke: $(VENV)/.installed  ## one drawing end to end right after sam deploy: make smoke STACK=<name> (make dev's stack without STACK)
	$(BIN)/python -m ops.smoke --stack $(STACK) $(if $(filter connectability-local,$(STACK)),--local $(LOCAL_API),)

cost: $(VENV)/.installed  ## dollars a month for the README's workload, from calls measured on moto and bench/prices.py
	$(BIN)/python -m bench.cost

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy

openapi: $(VENV)/.installed  ## writes openapi.json from the code
	$(BIN)/python -m local.openapi -o openapi.json

build: $(SAM_VENV)/.installed
	$(if $(PY313),PYENV_VERSION=$(PY313) PATH="$$(pyenv root)/versions/$(PY313)/bin:$$PATH",) $(SAM_VENV)/bin/sam build

bench: $(VENV)/.installed
	$(BIN)/python -m bench

load: $(VENV)/.installed  ## a bounded load run on the local stack (ARGS="--seconds 180 --pairs 8"); make test runs 12 s
	$(BIN)/python -m bench.load $(ARGS)

faults: $(VENV)/.installed  ## every AWS call of the pipeline scenario failed in turn (make test tries the day's seventh)
	FAULT_POINTS=all $(BIN)/python -m pytest -q -s -p no:logging tests/integration/test_pipeline_faults.py

clean:
	rm -rf $(VENV) $(SAM_VENV) $(SCAN_VENV) node_modules test-artifacts .aws-sam .pytest_cache .mypy_cache .ruff_cache openapi.json
