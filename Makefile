# Tally: every command a developer or CI needs. `make dev` and `make test` bootstrap themselves.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1
# sam/cfn-lint want a region even when they never call AWS.
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: bootstrap dev test lint typecheck unit integration e2e template-checks build bench invoke openapi lock layer-requirements clean

bootstrap:
	@scripts/bootstrap.sh

PORT ?= 3000
dev: bootstrap  ## start the local cloud on 127.0.0.1:$(PORT) with demo data (make dev PORT=3200; VERBOSE=1: logs in the terminal)
	@$(BIN)/tally dev --port $(PORT) $(if $(VERBOSE),--verbose)

# The second pytest run: the exactly-once and transaction proofs (marker stock_moto) on moto as
# released, so they never rest on tally_dev/moto_speedups.py alone (which the first run uses).
test: bootstrap lint typecheck  ## every check CI runs
	$(BIN)/pytest -q -n 2 tests/unit tests/integration tests/e2e
	$(BIN)/pytest -q -n 2 --stock-moto -m "stock_moto and not slow" tests/integration tests/e2e
	$(MAKE) --no-print-directory template-checks build

lint: bootstrap
	$(BIN)/ruff check .

typecheck: bootstrap
	$(BIN)/mypy

unit: bootstrap
	$(BIN)/pytest -q tests/unit
integration: bootstrap
	$(BIN)/pytest -q tests/integration
e2e: bootstrap
	$(BIN)/pytest -q tests/e2e

template-checks: bootstrap
	$(BIN)/sam validate --lint
	$(BIN)/sam validate
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

build: bootstrap  ## sam build (Docker-free: pure pip for arm64 wheels)
	$(BIN)/sam build --build-dir .aws-sam/build

bench: bootstrap build  ## measure the budgets of docs/design.md; writes bench/results.json
	$(BIN)/python -m tests.bench

invoke: bootstrap  ## make invoke FN=<LogicalId> EVENT=events/<file>.json: in the running `make dev`, else a cloud of its own (OWN=1: always)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<LogicalId> EVENT=events/<file>.json"; exit 2; }
	@$(BIN)/tally invoke $(FN) $(EVENT) $(if $(OWN),--own-cloud)

openapi: bootstrap  ## regenerate the committed OpenAPI document from the code
	$(BIN)/tally openapi --write

lock: ## re-resolve dependencies after editing pyproject.toml
	$(BIN)/uv lock
	$(MAKE) --no-print-directory layer-requirements

layer-requirements:
	$(BIN)/uv export --frozen --no-dev --no-emit-project --no-hashes --no-header \
	  --no-emit-package numpy > layers/tally/requirements.txt
	$(BIN)/uv export --frozen --only-group mining --no-emit-project --no-hashes --no-header \
	  > layers/git/requirements.txt

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
