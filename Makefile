# The README's two commands are `make run` and `make test`; the rest are for developers.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

# Tests run on PostgreSQL + PostGIS and Redis. DATABASE_URL names a database the suite
# may connect to as a superuser: it creates (and drops) its own test databases beside it.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)

.PHONY: run test lint format worker cron bench load fuzz clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	scripts/system-deps.sh spatialite
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(BIN)/gunicorn --workers 1 --threads 8 --bind 127.0.0.1:5000 --access-logfile - wsgi:app

test: $(BIN)/.installed
	scripts/system-deps.sh spatialite postgis redis chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(BIN)/.installed
	$(BIN)/python -m workers

cron: $(BIN)/.installed
	$(BIN)/rq cron workers/cron.py --url $(REDIS_URL)

# Benchmarks, load and faults, fuzzing (issue #8; bench/README.md has the figures).
bench: $(BIN)/.installed
	scripts/system-deps.sh postgis redis
	$(BIN)/python bench/run.py $(BENCH_ARGS)

load: $(BIN)/.installed
	scripts/system-deps.sh postgis redis
	$(BIN)/python bench/load.py --minutes $(or $(LOAD_MINUTES),10) $(LOAD_ARGS)
	$(BIN)/python bench/load.py --minutes $(or $(LOAD_MINUTES),10) --faults $(LOAD_ARGS)

fuzz: $(BIN)/.installed
	scripts/system-deps.sh postgis redis
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),200) TEST_DATABASE_URL=$(TEST_DATABASE_URL) \
		TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -q tests/test_fuzz.py tests/photos_fuzz

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
