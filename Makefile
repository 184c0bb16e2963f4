# The single entry point. Two commands matter:
#   make run    the product on this machine with demo data (SQLite, filesystem broker: nothing to install)
#   make test   everything CI checks (needs PostgreSQL and Redis; starts them when installed but stopped)
# Recipes stay short; the logic lives in scripts/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never
export PYTHONUNBUFFERED := 1
# Where `make run` serves the web app (host:port).
RUN_ADDR ?= 127.0.0.1:8000
export RUN_ADDR

.PHONY: help sync assets run test smoke bench lint fmt migrate demo services clean distclean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

sync: ## Install the Python dependencies from uv.lock into .venv (bootstraps uv if missing)
	scripts/uv.sh sync --frozen --python python3.11

assets: ## Install the web assets from package-lock.json (npm ci) and copy them into static/vendor/
	scripts/assets.sh

run: migrate assets ## Web (http://127.0.0.1:8000), Celery worker and beat with demo data
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py demo_history
	$(PY) manage.py forecast_accuracy
	@echo "Starting web on http://$(RUN_ADDR)/ (log in at /login/; API docs /api/docs/, admin /admin/), worker and beat. Ctrl-C stops all three."
	.venv/bin/honcho --procfile Procfile.dev start

test: sync assets ## Lint, checks, schema, deploy checks and pytest on PostgreSQL (what CI runs)
	scripts/test.sh

smoke: sync assets ## Start the production stack on loopback (deploy/), drive one application through nginx, stop it
	deploy/smoke

bench: sync ## Benchmarks on a synthetic TRE in PostgreSQL; writes docs/benchmarks.md (about 5 minutes)
	$(PY) scripts/bench.py

migrate: sync ## Apply migrations to the local database (SQLite in var/ unless DATABASE_URL is set)
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo data and its history (idempotent) and print the demo logins
	$(PY) manage.py load_demo
	$(PY) manage.py demo_history
	$(PY) manage.py forecast_accuracy

lint: sync ## ruff lint and format check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

fmt: sync ## Format and autofix with ruff
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

services: ## Start local PostgreSQL and Redis if installed but stopped
	scripts/services.sh

clean: ## Remove local state (var/: the SQLite database, broker, static) and caches
	rm -rf var .pytest_cache .ruff_cache .coverage htmlcov

distclean: clean ## Also remove .venv and the bootstrapped uv
	rm -rf .venv .bootstrap node_modules static/vendor
