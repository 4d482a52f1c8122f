# The whole set-up on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Test processes (pytest-xdist). `auto`: one per CPU core (2 on the CI machine).
TEST_WORKERS ?= auto

.PHONY: run test test-fast test-browser browser-deps lint bench mongo-test clean coverage

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	@echo "Installing Scribe's requirements into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	@echo "Installing Scribe's requirements and test tools into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime

# Local development settings: a gitignored .env with DEBUG=true, so plain `manage.py`
# commands work in a checkout too. An existing .env is left alone; the image never has one.
.env:
	@printf '# Created by make for local development; .env.example lists every variable.\nDEBUG=true\n' > $@
	@echo "Created .env (DEBUG=true) for local development."

## run: create .venv, install, migrate and serve on $(HOST):$(PORT) (SQLite by default)
# With no AI provider configured (environment or .env), the offline demo provider answers
# (AI_PROVIDER=demo, DEBUG only), so summaries work out of the box.
run: $(VENV)/.installed-runtime | .env
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	@ai="$${AI_PROVIDER:-}"; \
	if [ -z "$$ai" ] && [ -z "$${OPENAI_API_KEY:-}" ] && ! grep -qsE '^(AI_PROVIDER|OPENAI_API_KEY)=.' .env; then \
	  ai=demo; echo "AI: demo provider (AI_PROVIDER=demo, offline sample answers); set OPENAI_API_KEY and OPENAI_BASE_URL for a real one."; \
	fi; \
	echo "Serving on http://$(HOST):$(PORT)/ (API docs /docs, admin /admin/; PORT=... HOST=... to change)"; \
	DEBUG=$${DEBUG:-true} AI_PROVIDER="$$ai" exec $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Coverage (pytest-cov, .coveragerc) in `make test`: COVERAGE=0 turns it off. The ratchet
# (.coveragerc fail_under) fails a whole run below it; a partial run (PYTEST_ARGS set) only
# reports, since a few files cannot cover the project. README "Coverage".
COVERAGE ?= 1
COV_ARGS = $(if $(filter 1,$(COVERAGE)),--cov=. $(if $(PYTEST_ARGS),--cov-fail-under=0),)

## test: the whole suite in parallel with coverage (SQLite + local memory cache unless DATABASE_URL / REDIS_URL are set)
test: $(VENV)/.installed-dev | .env
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(COV_ARGS) $(PYTEST_ARGS)

## coverage: the suite with coverage, always with the ratchet (.coveragerc fail_under)
coverage: $(VENV)/.installed-dev | .env
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --cov=. $(PYTEST_ARGS)

## test-fast: the inner loop: no slow or browser tests, stop at the first failure
# e.g. make test-fast PYTEST_ARGS="consultations -k segments"
test-fast: $(VENV)/.installed-dev | .env
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -x -m "not slow and not browser" $(PYTEST_ARGS)

## browser-deps: Debian's Chromium and chromedriver for the admin's browser test
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
	  echo "Chromium and chromedriver are installed."; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing chromium and chromium-driver (apt-get)..."; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	else \
	  echo "Chromium is missing and cannot be installed here (needs root and apt-get): the browser test will skip."; \
	fi

## test-browser: the admin driven in headless Chromium
test-browser: $(VENV)/.installed-dev browser-deps | .env
	$(BIN)/python -m pytest -p no:xdist -m browser $(PYTEST_ARGS)

## lint: ruff (rules and formatting) and the import layers (.importlinter)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## bench: the benchmark harness (see bench/README.md)
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

## mongo-test: the suite against a real MongoDB, in containers (needs Docker)
mongo-test:
	docker compose -f docker-compose.yml run --rm --build test-mongo

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

## checkov-deps: checkov in its own venv (.venv-checkov) for the Kubernetes manifests' scan;
## the scan's test runs when .venv-checkov/path (checkov alone, not the venv's python) is on PATH
## (.ci/run puts it there) and skips otherwise
.PHONY: checkov-deps
checkov-deps: .venv-checkov/.installed

.venv-checkov/.installed: requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --disable-pip-version-check -q -r requirements-checkov.txt
	mkdir -p .venv-checkov/path && ln -sf ../bin/checkov .venv-checkov/path/checkov
	touch $@

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
