# Focus Hub: `make run` serves the demo hub; `make test` runs the whole suite.
# Needs only Python 3.11+ and make: everything else is installed into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
# Where `make run` serves: `make run PORT=8080` (or PORT in the environment).
HOST ?= 127.0.0.1
PORT ?= 5000
# The local PostgreSQL the suite runs against as well as SQLite (override to use another).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint bench clean

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/flask
	$(FLASK) db upgrade
	BASE_URL=$${BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) hub demo --if-empty
	BASE_URL=$${BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) run --host $(HOST) --port $(PORT)

lint: $(BIN)/flask
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole suite on SQLite, then again on PostgreSQL when one answers. In CI (CI=true) a
# missing PostgreSQL or chromium is a failure, not a skip.
test: lint test-sqlite test-postgres

test-sqlite: $(BIN)/flask
	@echo "== Test suite on SQLite"
	TEST_DATABASE_URL=sqlite $(BIN)/pytest -q

test-postgres: $(BIN)/flask
	@if $(BIN)/python scripts/pg_reachable.py "$(TEST_DATABASE_URL)"; then \
		echo "== Test suite on PostgreSQL ($(TEST_DATABASE_URL))"; \
		TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest -q; \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL is required in CI and is not reachable at $(TEST_DATABASE_URL)"; exit 1; \
	else \
		echo "== PostgreSQL SKIPPED: nothing answers at $(TEST_DATABASE_URL)."; \
		echo "   Only the SQLite run happened. Start PostgreSQL or set TEST_DATABASE_URL."; \
	fi

bench: $(BIN)/flask
	$(BIN)/python bench/bench_scoring.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info
