"""Test settings of a host without the optional ``djangoql`` extra: the admin keeps Django's plain search."""
from tests.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "djangoql"]  # noqa: F405
