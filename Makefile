# Two commands matter: `make run` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench migration clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Migrates the embedded SQLite database, loads the demo data set once (with one demo user
# per role, passwords printed), serves on :8000.
run: install
	$(BIN)/codeid db upgrade
	$(BIN)/codeid demo seed --if-empty
	$(BIN)/codeid demo users
	$(BIN)/codeid serve

# ruff, mypy, the layering contract, then pytest on SQLite and PostgreSQL.
test: install lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy codeid credentials counter scanners api bench tests

# One pytest worker per core (pytest-xdist); every worker makes its own databases.
pytest:
	$(BIN)/pytest -n auto

bench: install
	$(BIN)/python -m bench

# Regenerate a migration after changing models: make migration MSG="what changed"
migration: install
	$(BIN)/alembic revision --autogenerate -m "$(MSG)"

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
