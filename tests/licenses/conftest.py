"""A loopback license-manager beside the loopback catalog, and the license policy chosen."""
import pytest

from tests.learners import World

POLICY = "default_enrollments.licenses.policy.subscription_license_policy"


@pytest.fixture
def license_manager(settings, catalog_server):
    """A loopback license-manager (tests/license_manager_server.py); the app's settings point at it."""
    from tests.license_manager_server import LicenseManagerServer  # noqa: PLC0415

    server = LicenseManagerServer().start()
    settings.DEFAULT_ENROLLMENTS = {
        **settings.DEFAULT_ENROLLMENTS, "LICENSE_MANAGER_API_URL": server.api_url, "ELIGIBILITY_POLICY": POLICY,
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(catalog_server, license_manager, app_settings_):
    """The catalog world of tests/learners.py; ``world.settings(KEY=value)`` updates ``DEFAULT_ENROLLMENTS``."""
    world = World(catalog_server)
    world.settings = app_settings_
    return world


@pytest.fixture
def app_settings_(settings):
    """Update ``DEFAULT_ENROLLMENTS`` keys, keeping the servers'."""

    def update(**values):
        settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, **values}

    return update
