# The two commands of the README: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_HPR ?= 9144889

.PHONY: run test lint schema

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ trengs"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Sets everything up, loads the demo registry, prints a development token and serves.
run: $(VENV)/.installed
	$(BIN)/tilpass seed-demo
	@echo "Utviklingstoken for Astrid Info (HPR $(DEMO_HPR)), for GraphiQL-headeren Authorization: Bearer <token>:"
	@$(BIN)/tilpass token --hpr $(DEMO_HPR)
	@echo "GraphiQL: http://$(HOST):$(PORT)/graphql"
	$(BIN)/tilpass serve --host $(HOST) --port $(PORT)

# Sets everything up, checks style and runs the whole test suite: on SQLite, and on
# PostgreSQL too when a server answers (tests/postgres_server.py finds or starts one).
test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	url=$$($(BIN)/python tests/postgres_server.py) && \
	TILPASS_TEST_DATABASE_URL="$$url" $(BIN)/python -m pytest -q

schema: $(VENV)/.installed
	$(BIN)/tilpass export-schema > schema.graphql
