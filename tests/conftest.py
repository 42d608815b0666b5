"""Fixtures every test module may use."""
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
