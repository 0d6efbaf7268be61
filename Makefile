# Switchboard: `make run` to try it, `make test` to check it. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint format bench worker migrate clean screenshots

setup: $(STAMP)

# Re-install only when the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

migrate: setup
	$(MANAGE) migrate --noinput

# Serves the app, then loads the demo (its agents sync to the sandbox this server hosts).
run: migrate
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(BIN)/python -m config.serve --host $(HOST) --port $(PORT)

# On every core (pytest-xdist); `.venv/bin/pytest tests/…` runs a part in one process.
test: setup
	$(BIN)/pytest --numprocesses auto

# Style, the import contracts of docs/architecture.md, types (mypy, cached in .mypy_cache),
# migrations in step with the models.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(MANAGE) makemigrations --check --dry-run

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The UI screenshots in docs/, taken by the browser tests (needs Chromium at /usr/bin/chromium).
screenshots: setup
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/web/e2e -q

bench: migrate
	$(BIN)/python -m bench

# For distributed runs (REDIS_URL set): one worker with the beat scheduler embedded.
worker: setup
	$(BIN)/celery --app config worker --beat --loglevel INFO

clean:
	rm -rf $(VENV) var
