# Two commands set a fresh machine up:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint schema migrate seed clean bench bench-tools fleet screenshots docs docs-serve

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-docs.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# A local .env for the embedded defaults: debug on, a random secret key.
.env:
	@echo "Creating .env for local development (DATABASE_URL and CELERY_BROKER_URL name your own servers)."
	@printf 'DEBUG=true\nLOG_FORMAT=text\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

migrate: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

## Run the service: web server (and background workers) on $(HOST):$(PORT).
run: migrate
	HOST=$(HOST) PORT=$(PORT) PY=$(PY) sh scripts/run.sh

## The whole test suite: on the PostgreSQL that DATABASE_URL names, else on a private embedded
## PostgreSQL of its own (var/postgres-test; never make run's data). One layer: pytest tests/api.
test: $(VENV)/.installed
	$(PY) -m pytest --create-db

## Everything but the end-to-end and browser layers (tests/unit and tests/api), on every core.
test-fast: $(VENV)/.installed
	$(PY) -m pytest --create-db -n auto -m "not e2e and not browser"

lint: $(VENV)/.installed
	$(PY) -m ruff check .

# The schema does not depend on the secret key: a throwaway one when none is set.
schema: $(VENV)/.installed
	SECRET_KEY="$${SECRET_KEY:-schema-generation-only-0123456789abcdefghijklmnopqrstuvwxyz}" \
		$(PY) manage.py spectacular --file schema.yml --validate --fail-on-warn

seed: migrate
	$(PY) manage.py seed_demo

## The web client's screenshots in docs/ (desktop and 375 px wide), as the README shows them:
## headless Chromium from Debian's packages (installed when missing) on a live test server.
screenshots: $(VENV)/.installed
	sh scripts/apt-install.sh chromium chromium-driver
	WEB_SCREENSHOTS_DIR="$(CURDIR)/docs" REQUIRE_BROWSER_TEST=1 \
		$(PY) -m pytest tests/browser/test_web_client.py -k screenshots

## The documentation site: docs/ built into site/ in strict mode (a broken link, a missing page
## or a page left out of the nav fails the build), as CI builds it; docs-serve rebuilds on edit.
DOCS_PORT ?= 8001
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

docs: $(VENV)/.installed
	$(MKDOCS) build --strict

docs-serve: $(VENV)/.installed
	$(MKDOCS) serve --strict -a $(HOST):$(DOCS_PORT)

clean:
	-$(PY) -m config.embedded_postgres stop var/postgres 2>/dev/null
	-$(PY) -m config.embedded_postgres stop var/postgres-test 2>/dev/null
	rm -rf $(VENV) var site .pytest_cache .ruff_cache

## A/B benchmark: the working tree against a baseline revision, same cells alternating; writes
## docs/benchmarks/results.md, judged by bench/targets.toml. Not part of CI (about 15 minutes). BENCH_ARGS=--quick for a smoke run (about 4 min).
## BENCH_BASELINE=<rev> (default: the tag bench-baseline, else HEAD); BENCH_NEW=<rev> benches a
## revision instead of the working tree.
BENCH_BASELINE ?=
BENCH_NEW ?=

$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

# wrk drives the HTTP load: Debian's package, installed when missing (scripts/apt-install.sh;
# a wrk 4.x binary already on PATH will do). pgbench (PostgreSQL's client package) drives the ceiling.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || sh scripts/apt-install.sh wrk
	@command -v pgbench >/dev/null 2>&1 || sh scripts/apt-install.sh postgresql-client

bench: $(VENV)/.bench-installed bench-tools
	$(PY) -m bench.run $(if $(BENCH_BASELINE),--baseline $(BENCH_BASELINE)) \
		$(if $(BENCH_NEW),--new $(BENCH_NEW)) $(BENCH_ARGS)

## The fleet test (about 80 seconds): PgBouncer in transaction pooling mode (Debian's
## package, installed when missing), 3 gunicorn web processes, 2 Celery workers, 2 beats (a
## deployment runs one; the second shows a stray one is harmless) and a Redis of its own, all on
## 127.0.0.1 with a fresh database; 60 s of bank transfers while a web process and a worker are
## SIGKILLed and restarted; then the checks and a report (exit 1 on a failure).
## FLEET_ARGS="--seconds 120 --threads 32" changes the run; `python -m fleet.run --help` lists all.
## The PostgreSQL server: FLEET_POSTGRES_URL, else DATABASE_URL, else postgres@127.0.0.1:5432.
FLEET_ARGS ?=

fleet: $(VENV)/.installed
	$(PY) -m fleet.run $(FLEET_ARGS)
