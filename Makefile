# PipelineCRM — `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The catalogs besides English (docs/i18n.md); `make messages LOCALES="de nl fr"` adds one.
LOCALES ?= de nl
# What makemessages must not read: installed packages, vendored and collected files.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=static/vendor \
	--ignore=staticfiles --ignore=var --ignore=tests --ignore=benchmarks
# Tests and benchmarks use the local servers unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pipelinecrm
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
DEMO_PASSWORD ?= demo1234
# The port of `make run`: `make run PORT=8001` when 8000 is taken.
PORT ?= 8000
PYTEST_ARGS ?=
# The database and Redis of tests and benchmarks: the environment's, else the local servers.
SERVICES_ENV = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)}

.PHONY: help venv run test test-fast pytest lint format bench bench-load audit vendor messages deploy-check clean

help:
	@echo "make run      install, migrate, seed demo data, serve on http://127.0.0.1:8000 with worker and beat (PORT=8001 for another port)"
	@echo "make test     the whole suite (lint, unit, API, jobs, browser) on PostgreSQL and Redis"
	@echo "make test-fast the suite without browser, live worker or process tests, on a kept test database"
	@echo "make lint     ruff check and format check, and the layer contracts (lint-imports)"
	@echo "make bench    benchmark (SMOKE=1 for a small, quick pass)"
	@echo "make bench-load 8 reps moving cards through gunicorn for DURATION=20 s: moves/s, p95, errors, lost"
	@echo "make audit    the locked dependencies against PyPI's vulnerability data (pip-audit)"
	@echo "make vendor   refresh static/vendor from package.json (needs npm)"
	@echo "make messages update the de and nl catalogs from the code and compile them (needs gettext)"

$(VENV)/.synced: pyproject.toml uv.lock scripts/bootstrap.sh
	scripts/bootstrap.sh
	@touch $@

venv: $(VENV)/.synced

run: venv
	DEBUG=$${DEBUG:-1} $(MANAGE) migrate --no-input
	DEBUG=$${DEBUG:-1} $(MANAGE) seed_demo --if-empty --password "$(DEMO_PASSWORD)"
	DEBUG=$${DEBUG:-1} $(MANAGE) seed_forecasting_demo
	@echo "Open http://127.0.0.1:$(PORT) and sign in as rep1, manager or admin with password $(DEMO_PASSWORD)"
	@# Procfile.dev names plain `python` and `celery`: the venv's, whether or not it is active.
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=$${DEBUG:-1} PORT=$(PORT) DEMO_PASSWORD="$(DEMO_PASSWORD)" \
		scripts/run-dev.sh

test: venv
	@$(SERVICES_ENV) scripts/ensure-services.sh
	$(MAKE) --no-print-directory lint
	@if docker info >/dev/null 2>&1; then docker compose config --quiet && echo "docker compose config: ok"; fi
	$(SERVICES_ENV) \
		$(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: what needs neither Chromium, a live Celery worker nor a process of its own
# (markers in pyproject.toml), on the test database of the previous run (--reuse-db).
test-fast: venv
	@$(SERVICES_ENV) scripts/ensure-services.sh
	$(SERVICES_ENV) \
		$(PY) -m pytest -m "not browser and not celery and not processes" --reuse-db $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

bench: venv
	@$(SERVICES_ENV) scripts/ensure-services.sh
	$(SERVICES_ENV) \
		$(PY) -m benchmarks.run $(if $(SMOKE),--smoke)

# About a minute: seed, serve with gunicorn on a free loopback port, drive, verify, stop.
bench-load: venv
	@$(SERVICES_ENV) scripts/ensure-services.sh
	$(SERVICES_ENV) \
		$(PY) -m benchmarks.load

# The .mo files are committed (the image and CI need no gettext); tests/i18n checks that
# they match the .po files and that nothing is left untranslated.
messages: venv
	DEBUG=1 $(MANAGE) makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete --no-location \
		-e html,txt,py $(MESSAGES_IGNORE)
	DEBUG=1 $(MANAGE) makemessages -d djangojs $(addprefix -l ,$(LOCALES)) --no-obsolete \
		--no-location $(MESSAGES_IGNORE)
	DEBUG=1 $(MANAGE) compilemessages $(addprefix -l ,$(LOCALES)) $(MESSAGES_IGNORE)

# Fails on a known vulnerability; says so, without failing, when the data cannot be reached.
audit: venv
	$(PY) scripts/audit.py

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

vendor:
	npm install --no-audit --no-fund --ignore-scripts
	node scripts/vendor.mjs

clean:
	rm -rf $(VENV) staticfiles node_modules .pytest_cache .ruff_cache
