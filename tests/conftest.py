"""Fixtures every test module may use."""
import sys

import pytest
from django.core.cache import caches
from django.db import connection
from edx_django_utils.cache import RequestCache


def pytest_report_header(config):
    from django.conf import settings  # noqa: PLC0415 (settings are configured by pytest-django)

    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} (DB_ENGINE={settings.DB_ENGINE})"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Catalog answers and OAuth tokens are cached (Django cache, request cache); no test sees another's."""
    for cache in caches.all():
        cache.clear()
    RequestCache.clear_all_namespaces()
    yield


@pytest.fixture
def db_vendor():
    return connection.vendor


@pytest.fixture
def catalog_server(settings):
    """A loopback enterprise-catalog (tests/catalog_server.py) that the app's settings point at."""
    from tests.catalog_server import CatalogServer  # noqa: PLC0415

    server = CatalogServer().start()
    settings.DEFAULT_ENROLLMENTS = {**(getattr(settings, "DEFAULT_ENROLLMENTS", None) or {}), **server.app_settings()}
    try:
        yield server
    finally:
        server.stop()


#: The stand-in for the parts of edx-platform the Open edX backend imports (tests/fake_openedx).
FAKE_PLATFORM_PACKAGES = ("openedx", "common")


@pytest.fixture
def platform(monkeypatch):
    """
    edx-platform as the stand-in modules in tests/fake_openedx (the enrollment API, ``CourseMode``,
    ``CourseEnrollment``), importable by their real names; the LMS knows one course run, ``RUN`` of
    tests/test_backends.py, with audit and verified modes. Forgotten afterwards.
    """
    from pathlib import Path  # noqa: PLC0415

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "fake_openedx"))
    try:
        from openedx.core.djangoapps.enrollments import api  # noqa: PLC0415

        api.reset()
        api.COURSE_MODES["course-v1:edx+demox+demo_course"] = ["audit", "verified"]
        yield api
    finally:
        for name in [name for name in sys.modules if name.partition(".")[0] in FAKE_PLATFORM_PACKAGES]:
            del sys.modules[name]
