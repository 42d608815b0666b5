"""
Test settings: the reference host, on the database named by ``DB_ENGINE`` (sqlite, mysql, postgresql).

Requests run in transactions (``ATOMIC_REQUESTS``) and MySQL at READ COMMITTED, as in Open edX production.
"""
import importlib
import importlib.util
import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
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
    "djangoql",  # the admin's advanced search (falls back to plain search without it)
    "default_enrollments.contrib.reference_host",
    "default_enrollments",
]

MIDDLEWARE = [
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

STATIC_URL = "/static/"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/admin/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

DB_ENGINE = os.environ.get("DB_ENGINE", "sqlite")
_TEST_DB_NAME = "test_default_enrollments" + os.environ.get("TEST_DB_SUFFIX", "")


def _mysql_driver() -> str:
    """mysqlclient, as Open edX runs, where it is installed; else PyMySQL standing in for it as ``MySQLdb``.

    mysqlclient needs the MariaDB client headers to build, PyMySQL needs nothing, so a machine without the headers
    still runs the MariaDB leg. PyMySQL reports itself as a mysqlclient release (``pymysql.version_info``, 2.2.8
    for PyMySQL 1.2) newer than the 1.4.3 Django 5.2 requires, so Django's version check passes unchanged.
    """
    if importlib.util.find_spec("MySQLdb") is not None:
        return "mysqlclient"
    importlib.import_module("pymysql").install_as_MySQLdb()
    return "PyMySQL"


if DB_ENGINE == "mysql":
    MYSQL_DRIVER = _mysql_driver()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "default_enrollments",
            "USER": os.environ.get("DB_USER", "root"),
            "PASSWORD": os.environ.get("DB_PASSWORD", ""),
            "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DB_PORT", "3306"),
            "ATOMIC_REQUESTS": True,
            "OPTIONS": {"charset": "utf8mb4", "isolation_level": "read committed"},
            "TEST": {"NAME": _TEST_DB_NAME, "CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    }
elif DB_ENGINE == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "default_enrollments",
            "USER": os.environ.get("DB_USER", "postgres"),
            "PASSWORD": os.environ.get("DB_PASSWORD", ""),
            "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DB_PORT", "5432"),
            "ATOMIC_REQUESTS": True,
            "TEST": {"NAME": _TEST_DB_NAME},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", ":memory:"),
            "ATOMIC_REQUESTS": True,
        }
    }

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}

DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL = "default_enrollments_reference.EnterpriseCustomer"
DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL = "default_enrollments_reference.EnterpriseCustomerUser"
DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL = "default_enrollments_reference.EnterpriseCourseEnrollment"

# Tests point this at their loopback catalog server; the fallbacks below are the Open edX names.
ENTERPRISE_CATALOG_INTERNAL_ROOT_URL = "http://127.0.0.1:9"  # discard port: nothing answers
ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL = "http://127.0.0.1:9/oauth2"
ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY = "tests-client-id"
ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET = "tests-client-secret"
DEFAULT_ENROLLMENTS = {}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False

# JWT authentication (edx-drf-extensions) as an Open edX LMS configures it. djangorestframework-jwt reads
# these once, at import; tests add the signing keys they need (the decoder reads those on every request).
JWT_AUTH = {
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    "JWT_ISSUER": "http://lms.test/oauth2",
    "JWT_AUDIENCE": "lms-test",
    "JWT_SECRET_KEY": "tests-only-legacy-symmetric-jwt-secret",
    "JWT_ISSUERS": [
        {
            "ISSUER": "http://lms.test/oauth2",
            "AUDIENCE": "lms-test",
            "SECRET_KEY": "tests-only-legacy-symmetric-jwt-secret",
        }
    ],
}

# On purpose these are a legacy LMS's JWT settings (no public key set), which the forged-token tests need; the
# deploy-time check that says "JWT callers get 401" is right about them, and is silenced here only.
SILENCED_SYSTEM_CHECKS = ["default_enrollments.W002"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"default_enrollments": {"handlers": ["console"], "level": "WARNING"}},
}
