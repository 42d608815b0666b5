"""
Test settings for a real Open edX enterprise host: edx-enterprise's own models play the host models.

Starts from ``enterprise.settings.test`` (edx-enterprise's standalone test settings, which already apply every
``lms.djangoapp`` plugin's ``common`` settings, ours included) and adds this app. The three
``DEFAULT_ENROLLMENTS_*_MODEL`` settings point at edx-enterprise's models, so the bundled reference host models are
swapped out; ``default_enrollments.contrib.reference_host`` stays installed only for its LMS-side
``CourseEnrollment`` and the reference enrollment backend (there is no edx-platform here to enroll through).

URLs (``tests.urls_edx_enterprise``): edx-enterprise serves its own ``enterprise/api/v1/default-enterprise-
enrollment-intentions/`` endpoints, at the very paths our API copies. Our URLs are listed before edx-enterprise's,
so the first match, ours, answers those paths in these tests; every other ``enterprise/`` path still reaches
edx-enterprise. See docs/decisions/0003-coexisting-with-edx-enterprise.rst for what that means on a real LMS.

The database comes from ``tests.settings`` (``DB_ENGINE=sqlite|mysql|postgresql``, ``ATOMIC_REQUESTS``, READ
COMMITTED on MySQL) under a test database name of its own, still suffixed with ``TEST_DB_SUFFIX``.
"""
import copy
import os

from enterprise.settings.test import *  # noqa: F403 (the host's settings are the starting point)
from enterprise.settings.test import INSTALLED_APPS as ENTERPRISE_INSTALLED_APPS

from tests import settings as reference_settings

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls_edx_enterprise"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Ours come first, because edx-enterprise ships a management command with the very name of ours,
# ``validate_default_enrollment_intentions``, and Django runs the one of the app listed first. A real LMS lists
# plugin apps after edx-enterprise; see docs/decisions/0003-coexisting-with-edx-enterprise.rst.
_OUR_APPS = [app for app in reference_settings.INSTALLED_APPS if app not in ENTERPRISE_INSTALLED_APPS]
INSTALLED_APPS = [
    *_OUR_APPS,
    *ENTERPRISE_INSTALLED_APPS,
    "django_object_actions",  # edx-enterprise's customer admin renders its templates; every LMS installs it
]

MIDDLEWARE = [
    *reference_settings.MIDDLEWARE,
    "crum.CurrentRequestUserMiddleware",  # edx-enterprise reads the current user through django-crum
    "waffle.middleware.WaffleMiddleware",
]
TEMPLATES = copy.deepcopy(reference_settings.TEMPLATES)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = reference_settings.LOGIN_URL
LOGIN_REDIRECT_URL = reference_settings.LOGIN_REDIRECT_URL
PASSWORD_HASHERS = reference_settings.PASSWORD_HASHERS

DB_ENGINE = reference_settings.DB_ENGINE
DATABASES = copy.deepcopy(reference_settings.DATABASES)
if "TEST" in DATABASES["default"]:
    _SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
    DATABASES["default"]["NAME"] = "default_enrollments_edx_enterprise" + _SUFFIX  # for `manage.py migrate`
    DATABASES["default"]["TEST"]["NAME"] = "test_default_enrollments_edx_enterprise" + _SUFFIX

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "edx-enterprise"}}

# An LMS setting edx-enterprise reads for a new customer's default Site (the LMS's own domain).
LMS_BASE = "lms.example.com"

# edx-enterprise's models are the host models.
DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL = "enterprise.EnterpriseCustomer"
DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL = "enterprise.EnterpriseCustomerUser"
DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL = "enterprise.EnterpriseCourseEnrollment"
DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL = "enterprise.LicensedEnterpriseCourseEnrollment"

# Our plugin settings chose the Open edX enrollment backend; without edx-platform the reference LMS enrolls. They
# also chose Celery (ASYNC); the suites here realize in-process, as the reference host does, unless a test says so.
DEFAULT_ENROLLMENTS = {
    "ENROLLMENT_BACKEND": "default_enrollments.backends.reference.ReferenceEnrollmentBackend",
    "ASYNC": False,
}

# Tests point the catalog at their loopback server; nothing answers on the discard port meanwhile.
ENTERPRISE_CATALOG_INTERNAL_ROOT_URL = reference_settings.ENTERPRISE_CATALOG_INTERNAL_ROOT_URL
ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL = (
    reference_settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL
)
ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY = reference_settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY
ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET = reference_settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET

# JWT settings as an LMS holds them (tests/settings.py); edx-enterprise's test values name an issuer that is not
# among its own JWT_ISSUERS, so tokens minted from them would never verify.
JWT_AUTH = copy.deepcopy(reference_settings.JWT_AUTH)
SILENCED_SYSTEM_CHECKS = reference_settings.SILENCED_SYSTEM_CHECKS

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/8")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False

LOGGING = copy.deepcopy(reference_settings.LOGGING)

# The app's own intention and realization tables (the plugin settings would choose edx-enterprise's for this
# release; tests/settings_edx_enterprise_tables.py runs on those).
DEFAULT_ENROLLMENTS_INTENTION_MODEL = "default_enrollments.DefaultEnterpriseEnrollmentIntention"
DEFAULT_ENROLLMENTS_REALIZATION_MODEL = "default_enrollments.DefaultEnterpriseEnrollmentRealization"
