# The whole set-up on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench mongo-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime

# Local development settings: a gitignored .env with DEBUG=true, so plain `manage.py`
# commands work in a checkout too. An existing .env is left alone; the image never has one.
.env:
	@printf '# Created by make for local development; .env.example lists every variable.\nDEBUG=true\n' > $@
	@echo "Created .env (DEBUG=true) for local development."

## run: create .venv, install, migrate and serve on 127.0.0.1:8000 (SQLite by default)
run: $(VENV)/.installed-runtime | .env
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the whole suite (SQLite + local memory cache unless DATABASE_URL / REDIS_URL are set)
test: $(VENV)/.installed-dev | .env
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

## bench: the benchmark harness (see bench/README.md)
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

## mongo-test: the suite against a real MongoDB, in containers (needs Docker)
mongo-test:
	docker compose -f docker-compose.yml run --rm --build test-mongo

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

## gateway-deps: nginx for the cutover gateway's test (deploy/nginx); it skips without it
.PHONY: gateway-deps
gateway-deps:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then \
	  echo "nginx is installed."; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing nginx (apt-get)..."; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx; \
	else \
	  echo "nginx is missing and cannot be installed here (needs root and apt-get): the gateway test will skip."; \
	fi
