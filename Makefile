.DEFAULT_GOAL := help
.PHONY: help python-version test quality migrations-check test-sqlite test-mysql test-postgresql test-db dist check-wheel requirements \
	upgrade clean distclean demo bench

# The interpreter: Python 3.12 when one runs (on the PATH or in pyenv), else 3.11 with a note; PYTHON=... overrides.
# Probed by running it, since a pyenv shim exists for every installed version but runs only the selected ones.
ifndef PYTHON
PYTHON := $(shell for candidate in python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 \
	2>/dev/null | sort -r) python3.11; do "$$candidate" -c '' 2>/dev/null && { echo "$$candidate"; break; }; done)
ifeq ($(PYTHON),)
$(error Python 3.12 (or 3.11) is needed: install python3.12, or pass PYTHON=/path/to/python3.12)
endif
ifeq ($(PYTHON),python3.11)
ifeq ($(MAKELEVEL),0)
$(info == Python 3.12 not found: using python3.11 (install python3.12, or pass PYTHON=...))
endif
endif
endif
export PYTHON
VENV ?= .venv
BIN := $(VENV)/bin
# Re-install only when the pins or the package metadata change: the demo needs the run-time pins only, the tests
# the test pins (a superset).
BASE_STAMP := $(VENV)/.installed-base
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider --timeout=$(or $(PYTEST_TIMEOUT),600)
# Narrow a run with e.g. `make test-sqlite TESTS=tests/test_models.py`.
TESTS ?= tests
PIP_COMPILE := $(BIN)/pip-compile -q --no-emit-index-url --no-emit-find-links --strip-extras

# One-line probes: does a server answer with the credentials tests/settings.py uses? The MariaDB one uses the
# driver the tests use: mysqlclient where it is installed, else PyMySQL.
MYSQL_DRIVER := import importlib.util; print("mysqlclient" if importlib.util.find_spec("MySQLdb") else "PyMySQL")
MYSQL_PING := import importlib.util; \
	driver = __import__("MySQLdb" if importlib.util.find_spec("MySQLdb") else "pymysql"); \
	driver.connect(host="127.0.0.1", port=3306, user="root", connect_timeout=3).close()
POSTGRES_PING := import psycopg2; psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", \
	connect_timeout=3).close()

# mysqlclient (what Open edX runs) compiles against the MariaDB client headers. CI always installs it and fails
# without them; elsewhere it is installed when pkg-config finds the headers, and otherwise PyMySQL (pure Python,
# in requirements/test.txt) drives the MariaDB leg.
define install_mysqlclient
if [ -n "$${CI:-}" ]; then \
		$(1) -m pip install -q -r requirements/mysqlclient.txt; \
	elif pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists mariadb 2>/dev/null; then \
		$(1) -m pip install -q -r requirements/mysqlclient.txt \
			|| echo "== mysqlclient did not build: the MariaDB leg uses PyMySQL"; \
	else \
		echo "== no MariaDB client headers: the MariaDB leg uses PyMySQL (for mysqlclient, as Open edX runs," \
			"install libmariadb-dev and pkg-config, or on macOS mariadb-connector-c and pkg-config)"; \
	fi
endef

python-version: ## the interpreter the venvs are built with
	@echo "$(PYTHON): $$($(PYTHON) --version 2>&1)"

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BASE_STAMP): requirements/base.txt setup.py | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements/base.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(STAMP): requirements/test.txt requirements/mysqlclient.txt setup.py | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements/test.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@$(call install_mysqlclient,$(BIN)/python)
	touch $@

# The MariaDB and PostgreSQL legs run whenever their servers answer (always under CI, which fails when one does
# not); the last line names the legs that ran.
test: $(STAMP) quality migrations-check test-sqlite ## ruff, migrations check, suite on SQLite, then MariaDB and PostgreSQL
	@ran="SQLite"; skipped=""; \
	if [ -n "$${CI:-}" ] || $(BIN)/python -c '$(MYSQL_PING)' 2>/dev/null; then \
		$(MAKE) --no-print-directory test-mysql || exit 1; \
		ran="$$ran, MariaDB ($$($(BIN)/python -c '$(MYSQL_DRIVER)'))"; \
	else \
		echo "== MariaDB does not answer on 127.0.0.1:3306: leg skipped (install and start mariadb-server," \
			"or on macOS brew install mariadb; CI=1 requires it)"; \
		skipped="MariaDB"; \
	fi; \
	if [ -n "$${CI:-}" ] || $(BIN)/python -c '$(POSTGRES_PING)' 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgresql || exit 1; \
		ran="$$ran, PostgreSQL"; \
	else \
		echo "== PostgreSQL does not answer on 127.0.0.1:5432 as postgres: leg skipped (install and start" \
			"postgresql, or on macOS brew install postgresql; CI=1 requires it)"; \
		skipped="$${skipped:+$$skipped, }PostgreSQL"; \
	fi; \
	echo "== database legs run: $$ran$${skipped:+; skipped: $$skipped}"

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

dist: $(STAMP) ## build the sdist and wheel into dist/, then check the wheel as a host installs it (check-wheel)
	rm -rf dist build
	$(BIN)/python -m build --outdir dist .
	@$(MAKE) --no-print-directory check-wheel

# The wheel as a host gets it: installed without extras (at the run-time pins) into a fresh venv, then imported and
# the demo settings checked and migrated from a directory holding only copies of demo/ and manage.py, so nothing
# comes from the source tree. tests/test_packaging.py lists what the wheel carries.
CHECK_WHEEL_DIR := build/check-wheel
check-wheel: ## install dist/*.whl without extras into a fresh venv; import it, check and migrate the demo settings
	@test -n "$$(ls dist/*.whl 2>/dev/null)" || { echo "no wheel in dist/: run make dist"; exit 1; }
	rm -rf $(CHECK_WHEEL_DIR) && mkdir -p $(CHECK_WHEEL_DIR)/host
	$(PYTHON) -m venv $(CHECK_WHEEL_DIR)/venv
	$(CHECK_WHEEL_DIR)/venv/bin/python -m pip install -q -c requirements/base.txt dist/*.whl
	cp -R demo manage.py $(CHECK_WHEEL_DIR)/host/
	cd $(CHECK_WHEEL_DIR)/host && ../venv/bin/python -c 'import importlib.util, sys; \
		import default_enrollments as app; \
		sys.exit(f"imported from {app.__file__}, not the wheel" if "site-packages" not in app.__file__ else \
			"djangoql is installed without the extra" if importlib.util.find_spec("djangoql") else 0)'
	cd $(CHECK_WHEEL_DIR)/host && DJANGO_SETTINGS_MODULE=demo.settings DEMO_DB_PATH=$(CURDIR)/$(CHECK_WHEEL_DIR)/demo.db \
		../venv/bin/python manage.py check --fail-level WARNING
	cd $(CHECK_WHEEL_DIR)/host && DJANGO_SETTINGS_MODULE=demo.settings DEMO_DB_PATH=$(CURDIR)/$(CHECK_WHEEL_DIR)/demo.db \
		../venv/bin/python manage.py migrate --noinput -v 0
	@echo "== wheel ok: $$(ls dist/*.whl) installs without extras, imports, checks and migrates the demo settings"

requirements: | $(BIN)/python ## install the development pins (tests + pip-tools + tox) into .venv
	$(BIN)/python -m pip install -q -r requirements/dev.txt
	$(BIN)/pip-sync -q requirements/dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@$(call install_mysqlclient,$(BIN)/python)
	touch $(STAMP)

upgrade: | $(BIN)/python ## re-pin requirements/*.txt to the newest versions the .in files allow
	$(BIN)/python -m pip install -q pip-tools
	$(PIP_COMPILE) --upgrade -o requirements/base.txt requirements/base.in
	$(PIP_COMPILE) --upgrade -o requirements/test.txt requirements/test.in
	$(PIP_COMPILE) --upgrade -o requirements/mysqlclient.txt requirements/mysqlclient.in
	$(PIP_COMPILE) --upgrade -o requirements/test-openedx-platform.txt requirements/test-openedx-platform.in
	$(PIP_COMPILE) --upgrade -o requirements/dev.txt requirements/dev.in

clean: ## remove build output and caches (keeps .venv)
	rm -rf build dist *.egg-info .eggs .pytest_cache .ruff_cache .tox
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf $(VENV)

DEMO_ENV := DJANGO_SETTINGS_MODULE=demo.settings
DEMO_ADDR ?= 127.0.0.1:8000

demo: $(BASE_STAMP) ## the demo on 127.0.0.1:8000 (DEMO_ADDR): SQLite demo.db, static catalog; re-running keeps the data
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
	tests/rest_api tests/catalog tests/test_concurrency.py tests/test_celery.py \
	tests/test_gates.py tests/test_telemetry.py tests/test_admin_opt_out.py tests/test_isolation.py tests/test_login_deadline.py \
	tests/test_write_path.py tests/licenses tests/test_fulfillment.py tests/test_openedx_backend.py \
	tests/test_batched_writes.py
$(EDX_ENTERPRISE_PYTHON):
	$(PYTHON) -m venv $(EDX_ENTERPRISE_VENV)

$(EDX_ENTERPRISE_STAMP): requirements/edx-enterprise.txt requirements/mysqlclient.txt setup.py | $(EDX_ENTERPRISE_PYTHON)
	$(EDX_ENTERPRISE_PYTHON) -m pip install -q -r requirements/edx-enterprise.txt
	$(EDX_ENTERPRISE_PYTHON) -m pip install -q --no-deps -e .
	@$(call install_mysqlclient,$(EDX_ENTERPRISE_PYTHON))
	touch $@

test-edx-enterprise: $(EDX_ENTERPRISE_STAMP) ## the suite on edx-enterprise's own models (DB_ENGINE as above)
	@echo "== edx-enterprise host on $(or $(DB_ENGINE),sqlite)"
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) manage.py check --fail-level WARNING
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) manage.py makemigrations --check --dry-run \
		default_enrollments default_enrollments_reference
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) -m tests.edx_enterprise.check_migrations
	$(EDX_ENTERPRISE_ENV) $(EDX_ENTERPRISE_PYTHON) -m pytest -p no:cacheprovider --timeout=$(or $(PYTEST_TIMEOUT),600) \
		--nomigrations $(EDX_ENTERPRISE_TESTS)

# The message catalog translators start from: every marked string of the package (Python and templates) into
# default_enrollments/locale/en/LC_MESSAGES/django.po. makemessages runs GNU gettext's xgettext; tests and CI do not.
.PHONY: extract_translations compile_translations
extract_translations: $(STAMP) ## write the message catalog default_enrollments/locale/en/LC_MESSAGES/django.po
	@command -v xgettext >/dev/null || { echo "xgettext not found: install GNU gettext (Debian/Ubuntu:" \
		"apt-get install gettext; macOS: brew install gettext)"; exit 1; }
	mkdir -p default_enrollments/locale
	cd default_enrollments && ../$(BIN)/django-admin makemessages -l en --no-obsolete --no-location \
		--ignore 'contrib/*' --ignore 'settings/*'

compile_translations: $(STAMP) ## compile every default_enrollments/locale/*/LC_MESSAGES/django.po into its .mo
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (Debian/Ubuntu:" \
		"apt-get install gettext; macOS: brew install gettext)"; exit 1; }
	cd default_enrollments && ../$(BIN)/django-admin compilemessages

# The same host with edx-enterprise's own intention and realization tables (docs/decisions/0011-*.rst): a focused
# set of modules, so the extra CI time stays small.
.PHONY: test-edx-enterprise-tables
EDX_ENTERPRISE_TABLES_ENV := DJANGO_SETTINGS_MODULE=tests.settings_edx_enterprise_tables
EDX_ENTERPRISE_TABLES_TESTS ?= tests/edx_enterprise/test_enterprise_tables.py tests/edx_enterprise/test_move_command.py
test-edx-enterprise-tables: $(EDX_ENTERPRISE_STAMP) ## the engine on edx-enterprise's intention tables (DB_ENGINE as above)
	@echo "== edx-enterprise host, its own intention tables, on $(or $(DB_ENGINE),sqlite)"
	$(EDX_ENTERPRISE_TABLES_ENV) $(EDX_ENTERPRISE_PYTHON) manage.py check --fail-level WARNING
	$(EDX_ENTERPRISE_TABLES_ENV) $(EDX_ENTERPRISE_PYTHON) -m pytest -p no:cacheprovider \
		--timeout=$(or $(PYTEST_TIMEOUT),600) --nomigrations $(EDX_ENTERPRISE_TABLES_TESTS)

# --- Benchmarks (not tests): tables printed and kept as JSON in benchmarks/, summarized in docs/performance.rst
bench: $(STAMP) $(EDX_ENTERPRISE_STAMP) ## login path, learner-status beside edx-enterprise, backfill
	$(BIN)/python benchmarks/login_path.py --breakdown
	$(EDX_ENTERPRISE_PYTHON) benchmarks/login_path.py --host edx-enterprise
	$(EDX_ENTERPRISE_PYTHON) benchmarks/learner_status_vs_edx_enterprise.py
	$(BIN)/python benchmarks/backfill.py
