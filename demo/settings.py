"""
Settings of the demo host. Not for production: fixed secret, DEBUG on, SQLite file.

The database is ``demo.db`` beside the ``demo`` package (``DEMO_DB_PATH`` overrides it, which the tests use).
The catalog is the static fixture that ships inside the package, found wherever the package is installed (a
source checkout or a wheel), so the demo needs no network. Only the run-time requirements are needed: no
djangoql, no database driver.
"""
import importlib.util
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_HOST_DIR = Path(importlib.util.find_spec("default_enrollments.contrib.reference_host").origin).parent

SECRET_KEY = "demo-only-not-secret"
DEBUG = os.environ.get("DEMO_DEBUG", "1") == "1"
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "demo.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "simple_history",
    "waffle",  # the kill switch (default_enrollments.toggles); without it the switch is simply off
    "default_enrollments.contrib.reference_host",
    "default_enrollments",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Requests run in a transaction, as on Open edX: realization waits for the login to commit.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB_PATH", str(REPO_ROOT / "demo.db")),
        "ATOMIC_REQUESTS": True,
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "demo"}}

STATIC_URL = "/static/"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

DEFAULT_ENROLLMENTS = {
    "CATALOG_CLIENT": "default_enrollments.catalog.static.StaticCatalogClient",
    "CATALOG_FIXTURE": str(REFERENCE_HOST_DIR / "fixtures" / "demo_catalog.json"),
}

OPENEDX_TELEMETRY = []  # edx-django-utils' monitoring: no New Relic in the demo

# Show what the app does at each login in the dev server's console.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"default_enrollments": {"handlers": ["console"], "level": "INFO"}},
}
