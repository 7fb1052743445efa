# Developer entry points. `make run` starts the whole stack locally, `make test`
# is exactly what CI runs (.ci/run). Both work on a fresh Debian 12 machine:
# missing system packages, the virtualenv and the database servers are set up
# on first use, and skipped on later runs.
#
# Environment (from the shell, then .env, then defaults; see scripts/env.sh):
#   DATABASE_URL  postgres://postgres@127.0.0.1:5432/algotrade
#   REDIS_URL     redis://127.0.0.1:6379/0
#   WEB_PORT      8000 (not PORT: honcho assigns PORT to every process)

SHELL := /bin/bash
# One shell per recipe (so `. scripts/env.sh` carries over to later lines),
# stopping at the first failing command.
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
# Reinstall only when a requirements file changes: the stamp name carries a
# hash of their contents.
REQ_FILES := $(sort $(wildcard requirements/*.txt))
REQ_HASH := $(shell cat $(REQ_FILES) | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(REQ_HASH)

TEST_SETTINGS ?= config.settings.test
PYTEST_WORKERS ?= 2
ARGS ?=

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONUNBUFFERED := 1

LOAD_ENV := . scripts/env.sh

.PHONY: help venv run test lint migrate shell bench services-up services-down services-status clean faults security load proof

help: ## List the targets
	@echo "usage: make <target> [ARGS=...]"
	echo
	grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install requirements (only when they changed)
	@:

$(STAMP):
	@bash scripts/bootstrap-venv.sh "$@"

run: venv ## Start web + celery workers + beat (http://127.0.0.1:8000, or WEB_PORT); Ctrl-C stops all
	@$(LOAD_ENV)
	bash scripts/services.sh up
	echo "==> migrate"
	python manage.py migrate --noinput
	echo "==> seed_demo"
	python manage.py seed_demo
	echo "==> rebuild_runtime (Redis mirror of PostgreSQL)"
	python manage.py rebuild_runtime
	echo "==> reconcile_orders (today's open and unsettled orders against the brokers, before any worker starts)"
	python manage.py reconcile_orders
	echo "==> admin web (npm ci and next build, each only when its inputs changed)"
	bash scripts/admin-web.sh build
	echo "==> honcho start (Ctrl-C stops every process)"
	# `-e /dev/null`: .env is already loaded, and honcho's own loader would let
	# it override variables given on the command line.
	exec honcho start -e /dev/null -f Procfile

test: venv ## Lint, then run the test suite (what CI runs); extra pytest args: make test ARGS="-k foo"
	@$(LOAD_ENV)
	# Tests always use the test settings, even if .env selects other ones.
	export DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS)
	bash scripts/services.sh up
	echo "==> ruff check"
	ruff check .
	echo "==> admin web: npm ci, next build (when changed), unit tests; Chromium for its browser test"
	bash scripts/admin-web.sh test
	bash scripts/admin-web.sh browser
	echo "==> mobile: npm ci and web export (each only when changed), jest; Chromium for its browser test"
	bash scripts/mobile.sh test
	echo "==> pytest"
	pytest -n $(PYTEST_WORKERS) --dist loadgroup $(ARGS)

.PHONY: mobile mobile-web
mobile: ## Mobile app only: npm ci, jest, web export (browser test: pytest tests/test_e2e_mobile.py)
	@bash scripts/mobile.sh test

mobile-web: ## Serve the mobile app's web build on :8082 with /api and /ws proxied to `make run` (HOST=0.0.0.0 for a phone)
	@bash scripts/mobile.sh serve

.PHONY: admin-web
admin-web: ## Admin web only: npm ci, next build, unit tests (browser test: pytest tests/test_e2e_admin_web.py)
	@bash scripts/admin-web.sh test

lint: venv ## ruff check
	@ruff check . $(ARGS)

migrate: venv ## Apply database migrations
	@$(LOAD_ENV)
	bash scripts/services.sh up
	python manage.py migrate --noinput $(ARGS)

shell: venv ## Django shell
	@$(LOAD_ENV)
	bash scripts/services.sh up
	python manage.py shell $(ARGS)

bench: venv ## Run the benchmarks (bench/run_all.py)
	@$(LOAD_ENV)
	if [ ! -f bench/run_all.py ]; then echo "no bench/run_all.py yet"; exit 0; fi
	bash scripts/services.sh up
	python bench/run_all.py $(ARGS)

faults: venv ## Fault suite at full size (kill -9, Redis restart, paused worker, lost replies, reconcile); prints the table
	@$(LOAD_ENV)
	export DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS)
	bash scripts/services.sh up
	FAULT_SCALE=full pytest tests/fault -p no:cacheprovider -s -q -rxX $(ARGS)

security: venv ## Security suite (schemathesis, tenant probe, JWT, TOTP, secret scan), then bandit and pip-audit
	@$(LOAD_ENV)
	export DJANGO_SETTINGS_MODULE=$(TEST_SETTINGS)
	bash scripts/services.sh up
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-25} pytest tests/security -p no:cacheprovider -s -q $(ARGS)
	echo "==> bandit (apps, brokers, config; settings in pyproject.toml [tool.bandit])"
	bandit -q -c pyproject.toml -r apps brokers config -ll
	echo "==> pip-audit (needs PyPI's advisory service; prints how many packages it could really audit)"
	bash scripts/pip_audit.sh

proof: faults security load ## All three proof suites (fault, security, load), each printing its figures

load: venv ## API load while orders and ticks flow (bench/api_load.py); prints p50/p99
	@$(LOAD_ENV)
	bash scripts/services.sh up
	python bench/api_load.py $(ARGS)

services-up: ## Start (or reuse) PostgreSQL and Redis
	@bash scripts/services.sh up

services-down: ## Stop the private PostgreSQL/Redis instances in .data/ (never the machine's own)
	@bash scripts/services.sh down

services-status: ## Show which servers answer and which private instances run
	@bash scripts/services.sh status

clean: ## Remove .venv and caches (keeps .data/, the local databases)
	@rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
	find . -path ./.data -prune -o -path ./node_modules -prune -o \
		-type d -name __pycache__ -prune -exec rm -rf {} +
