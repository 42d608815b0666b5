.DEFAULT_GOAL := help
.PHONY: help test quality migrations-check test-sqlite test-mysql test-postgresql test-db dist requirements upgrade \
	clean distclean demo bench

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Re-install only when the pins or the package metadata change.
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider --timeout=$(or $(PYTEST_TIMEOUT),600)
# Narrow a run with e.g. `make test-sqlite TESTS=tests/test_models.py`.
TESTS ?= tests
PIP_COMPILE := $(BIN)/pip-compile -q --no-emit-index-url --no-emit-find-links --strip-extras

# One-line probes: does a server answer with the credentials tests/settings.py uses?
MYSQL_PING := import MySQLdb; MySQLdb.connect(host="127.0.0.1", port=3306, user="root", connect_timeout=3).close()
POSTGRES_PING := import psycopg2; psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", \
	connect_timeout=3).close()

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements/test.txt setup.py | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements/test.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

test: $(STAMP) quality migrations-check test-sqlite ## ruff, migrations check, suite on SQLite, then MariaDB and PostgreSQL
	@if [ -n "$${CI:-}" ] || $(BIN)/python -c '$(MYSQL_PING)' 2>/dev/null; then \
		$(MAKE) --no-print-directory test-mysql; \
	else echo "== MariaDB does not answer on 127.0.0.1:3306: skipped (set CI=1 to require it)"; fi
	@if [ -n "$${CI:-}" ] || $(BIN)/python -c '$(POSTGRES_PING)' 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgresql; \
	else echo "== PostgreSQL does not answer on 127.0.0.1:5432: skipped (set CI=1 to require it)"; fi

quality: $(STAMP) ## ruff over the package, tests and tooling
	$(BIN)/ruff check .

migrations-check: $(STAMP) ## fail when a model change has no migration (bundled and swapped host models)
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings_swapped $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: $(STAMP) ## the suite on SQLite (in memory)
	@$(MAKE) --no-print-directory test-db DB_ENGINE=sqlite

test-mysql: $(STAMP) ## the suite on MariaDB/MySQL at 127.0.0.1:3306
	@$(MAKE) --no-print-directory test-db DB_ENGINE=mysql

test-postgresql: $(STAMP) ## the suite on PostgreSQL at 127.0.0.1:5432
	@$(MAKE) --no-print-directory test-db DB_ENGINE=postgresql

# The main suite, then the swapped-host-models suite in its own settings module. pytest exits 5 when it
# collects nothing; make treats every non-zero exit as a failure, so an empty run fails too.
test-db:
	@echo "== tests on $(DB_ENGINE)"
	DB_ENGINE=$(DB_ENGINE) $(PYTEST) $(TESTS)
	@echo "== swapped host models on $(DB_ENGINE)"
	DB_ENGINE=$(DB_ENGINE) $(PYTEST) --ds=tests.settings_swapped tests/test_swapped_models.py

dist: $(STAMP) ## build the sdist and wheel into dist/ and check the wheel carries migrations and data files
	rm -rf dist build
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -c 'import glob, sys, zipfile; \
		names = zipfile.ZipFile(glob.glob("dist/*.whl")[0]).namelist(); \
		missing = [p for p in ("default_enrollments/migrations/0001_initial.py", \
			"default_enrollments/contrib/reference_host/migrations/0001_initial.py", \
			"default_enrollments/contrib/reference_host/fixtures/demo_catalog.json", \
			"default_enrollments/settings/common.py", \
			"default_enrollments/templates/default_enrollments/admin/intention_change_form.html") \
			if p not in names]; \
		sys.exit(f"wheel lacks {missing}" if missing else 0)'
	@echo "== wheel ok: $$(ls dist/*.whl)"

requirements: | $(BIN)/python ## install the development pins (tests + pip-tools + tox) into .venv
	$(BIN)/python -m pip install -q -r requirements/dev.txt
	$(BIN)/pip-sync -q requirements/dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

upgrade: | $(BIN)/python ## re-pin requirements/*.txt to the newest versions the .in files allow
	$(BIN)/python -m pip install -q pip-tools
	$(PIP_COMPILE) --upgrade -o requirements/base.txt requirements/base.in
	$(PIP_COMPILE) --upgrade -o requirements/test.txt requirements/test.in
	$(PIP_COMPILE) --upgrade -o requirements/dev.txt requirements/dev.in

clean: ## remove build output and caches (keeps .venv)
	rm -rf build dist *.egg-info .eggs .pytest_cache .ruff_cache .tox
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf $(VENV)

DEMO_ENV := DJANGO_SETTINGS_MODULE=demo.settings
DEMO_ADDR ?= 127.0.0.1:8000

demo: $(STAMP) ## the demo on 127.0.0.1:8000 (DEMO_ADDR): SQLite demo.db, static catalog; re-running keeps the data
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput -v 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --base-url http://$(DEMO_ADDR)
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(DEMO_ADDR)

# The edx-enterprise test host's interpreter (make test-edx-enterprise creates it).
EDX_ENTERPRISE_PYTHON ?= .venv-edx-enterprise/bin/python

# --- A real Open edX enterprise host ---------------------------------------------------------------
# edx-enterprise from PyPI in a venv of its own (it pins its own versions), its models as the host models
# (tests/settings_edx_enterprise.py). DB_ENGINE and TEST_DB_SUFFIX work as for the other suites.
.PHONY: test-edx-enterprise
EDX_ENTERPRISE_VENV := .venv-edx-enterprise
EDX_ENTERPRISE_STAMP := $(EDX_ENTERPRISE_VENV)/.installed
EDX_ENTERPRISE_ENV := DJANGO_SETTINGS_MODULE=tests.settings_edx_enterprise
# The modules that run in that host. Left out: test_demo, test_plugin and test_swapped_models (their own settings
# modules), test_admin_browser (the reference host covers the browser path). Tables come from the models
# (--nomigrations): check_migrations applies and reverses ours on a fresh database instead.
EDX_ENTERPRISE_TESTS ?= tests/edx_enterprise tests/test_models.py tests/test_realization.py \
	tests/test_decision_table.py tests/test_login.py tests/test_backends.py tests/test_commands.py tests/test_admin.py \
	tests/rest_api tests/catalog tests/test_concurrency.py tests/test_celery.py
$(EDX_ENTERPRISE_PYTHON):
	$(PYTHON) -m venv $(EDX_ENTERPRISE_VENV)

$(EDX_ENTERPRISE_STAMP): requirements/edx-enterprise.txt setup.py | $(EDX_ENTERPRISE_PYTHON)
	$(EDX_ENTERPRISE_PYTHON) -m pip install -q -r requirements/edx-enterprise.txt
	$(EDX_ENTERPRISE_PYTHON) -m pip install -q --no-deps -e .
	touch $@

test-edx-enterprise: $(EDX_ENTERPRISE_STAMP) ## the suite on edx-enterprise's own models (DB_ENGINE as above)
	@echo "== edx-enterprise host on $(or $(DB_ENGINE),sqlite)"
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) manage.py check --fail-level WARNING
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) manage.py makemigrations --check --dry-run \
		default_enrollments default_enrollments_reference
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) -m tests.edx_enterprise.check_migrations
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) -m pytest -p no:cacheprovider --timeout=$(or $(PYTEST_TIMEOUT),600) \
		--nomigrations $(EDX_ENTERPRISE_TESTS)

# --- Benchmarks (not tests): tables printed and kept as JSON in benchmarks/, summarized in docs/performance.rst
bench: $(STAMP) $(EDX_ENTERPRISE_STAMP) ## login path, learner-status beside edx-enterprise, backfill
	$(BIN)/python benchmarks/login_path.py --breakdown
	$(EDX_ENTERPRISE_PYTHON) benchmarks/learner_status_vs_edx_enterprise.py
	$(BIN)/python benchmarks/backfill.py
