# certify: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
# The address QR codes, links, did:web and status lists name: CERTIFY_PUBLIC_URL or PUBLIC_URL
# in instance/config.py when either is set, else the address `make run` serves on (issue 20:
# PORT=8000 alone served on 8000 while every link said 5000). A wildcard HOST names loopback.
RUN_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
PUBLIC_URL_SET = $(or $(CERTIFY_PUBLIC_URL),$(shell grep -s '^PUBLIC_URL' instance/config.py))
RUN_ENV = $(if $(PUBLIC_URL_SET),,CERTIFY_PUBLIC_URL=http://$(RUN_HOST):$(PORT))
FLASK := $(BIN)/flask --app certify
# pytest options: add e.g. PYTEST_ARGS="-k journey" or "-x"; PYTEST_WORKERS=0 runs in one process
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: run serve test screenshots cluster-test bench bench-quick lint typecheck clean help

help:
	@echo "make run    set up .venv and instance/, then serve http://$(HOST):$(PORT)"
	@echo "make serve  production serving: gunicorn with certify/serving/gunicorn_conf.py"
	@echo "make test   set up .venv with the test extras and run the whole suite"
	@echo "make screenshots  every page of the accessibility check at 390 and 1280 px, in artifacts/"
	@echo "make cluster-test  two app servers, nginx, PostgreSQL, Redis, S3: load, kill, check"
	@echo "make bench  print the benchmark figures"
	@echo "make lint   ruff; make typecheck: mypy"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the package metadata changes (idempotent).
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@ $(VENV)/.installed

# axe-core for the accessibility check, from npm (pinned in package-lock.json).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

instance/config.py: | $(VENV)/.installed
	$(BIN)/python -m certify.setup_instance instance

# The web server and a job worker (mail delivery, daily duties) together; Ctrl+C stops both.
run: $(VENV)/.installed instance/config.py
	$(RUN_ENV) $(FLASK) init --demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C stops it)"
	@echo "Mail is written to instance/mail/ (the admin reads it at /admin/mail)"
	@$(RUN_ENV) $(FLASK) jobs worker --workers 1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(RUN_ENV) $(FLASK) run --host $(HOST) --port $(PORT) --no-reload --no-debugger

# Production serving: gunicorn with the repository's configuration (GUNICORN_BIND, default
# 127.0.0.1:8000, GUNICORN_WORKERS ...: see certify/serving/gunicorn_conf.py), behind a proxy.
serve: $(VENV)/.installed instance/config.py
	$(FLASK) init
	$(BIN)/gunicorn -c python:certify.serving.gunicorn_conf 'certify:create_app()'

test: $(VENV)/.installed-test node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Needs PostgreSQL on 127.0.0.1:5432 (CERTIFY_CLUSTER_ADMIN_URL), nginx, redis-server and wrk.
cluster-test: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.cluster

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

# Full-page screenshots of every checked page, for people to look at (the suite takes none).
screenshots: $(VENV)/.installed-test node_modules/axe-core/axe.min.js
	CERTIFY_SCREENSHOTS=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS) \
	  tests/browser/test_accessibility.py -k "phone_screen or compact_menu"
	@echo "Screenshots: artifacts/screenshots/390 and artifacts/screenshots/1280"

bench-quick: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks --quick

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
