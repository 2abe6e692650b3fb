# Two commands set a fresh machine up:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint schema migrate seed clean bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# A local .env for the embedded defaults: debug on, a random secret key.
.env:
	@echo "Creating .env for local development (edit it to use PostgreSQL/Redis)."
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env

migrate: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

## Run the service: web server (and background workers) on $(HOST):$(PORT).
run: migrate
	HOST=$(HOST) PORT=$(PORT) PY=$(PY) sh scripts/run.sh

## The whole test suite, on PostgreSQL when DATABASE_URL names it, else SQLite.
test: $(VENV)/.installed
	$(PY) -m pytest --create-db

lint: $(VENV)/.installed
	$(PY) -m ruff check .

# The schema does not depend on the secret key: a throwaway one when none is set.
schema: $(VENV)/.installed
	SECRET_KEY="$${SECRET_KEY:-schema-generation-only-0123456789abcdefghijklmnopqrstuvwxyz}" \
		$(PY) manage.py spectacular --file schema.yml --validate --fail-on-warn

seed: migrate
	$(PY) manage.py seed_demo

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

## Throughput/latency benchmark against PostgreSQL's ceiling; writes BENCHMARKS.md.
## Not part of CI (about 10 minutes). BENCH_ARGS=--quick for a smoke run.
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m bench.run $(BENCH_ARGS)
