# Accord: `make run` to try it, `make test` to check it. Nothing else is needed
# beyond Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test setup lint types migrations-check pytest bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

VNU := .tools/node_modules/vnu-jar/build/dist/vnu.jar

$(VNU):
	@if command -v npm >/dev/null 2>&1; then npm install --silent --prefix .tools vnu-jar; \
	  else echo "npm not found: the HTML checker (vnu-jar) is not installed; its browser check will skip"; fi

setup: $(STAMP) $(VNU)
	@mkdir -p var staticfiles

run: export ACCORD_BASE_URL ?= http://$(HOST):$(PORT)
run: setup
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "Accord is starting at $(ACCORD_BASE_URL)/  (admin: /admin/, API docs: /api/docs)"
	@echo "Background worker (manage.py db_worker), deadline sweeper (manage.py sweep) and e-mail outbox worker (manage.py deliver_email) run alongside. Stop all with Ctrl-C."
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python manage.py db_worker --no-reload & \
	  $(BIN)/python manage.py sweep --interval 60 & \
	  $(BIN)/python manage.py deliver_email --interval 5 & \
	  $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

serve: setup
	@test -n "$$SECRET_KEY" || test -s var/secret_key || \
	  (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
	DEBUG=0 SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret_key)}" ACCORD_BIND="$${ACCORD_BIND:-$(HOST):$(PORT)}" \
	  $(BIN)/python manage.py serve

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: setup
	$(BIN)/mypy accord tests

migrations-check: setup
	$(BIN)/python manage.py makemigrations --check --dry-run

# Both cores run tests (pytest-xdist); JOBS=1 runs them in one process.
JOBS ?= 2
pytest: setup
	$(BIN)/pytest -n $(JOBS)

test: lint types migrations-check pytest

bench: setup
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/queue.py

clean:
	rm -rf $(VENV) var staticfiles .mypy_cache .ruff_cache
