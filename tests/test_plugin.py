"""
The Open edX plugin, loaded the way an LMS loads it: edx-django-utils finds the ``lms.djangoapp`` entry point,
then adds our settings, URLs and signal receivers. Needs the package installed (``pip install -e .``).
"""
from __future__ import annotations

import sys
import types
import uuid

import pytest
from django.contrib.auth.signals import user_logged_in
from django.urls import resolve, reverse
from django.utils.module_loading import import_string
from edx_django_utils.plugins import (
    add_plugins,
    connect_plugin_receivers,
    get_plugin_apps,
    get_plugin_url_patterns,
)
from edx_django_utils.plugins.plugin_signals import _iter_plugins as iter_signal_plugins
from edx_django_utils.plugins.registry import get_plugin_app_configs

from default_enrollments.apps import DefaultEnrollmentsConfig
from default_enrollments.conf import app_settings

LMS = "lms.djangoapp"
ENTERPRISE_ADMIN_PERMISSION = "default_enrollments.contrib.edx_enterprise.permissions.is_enterprise_admin"
INTENTIONS_PATH = "/enterprise/api/v1/default-enterprise-enrollment-intentions/"


@pytest.fixture(autouse=True)
def _installed_as_plugin():
    if DefaultEnrollmentsConfig not in list(get_plugin_app_configs(LMS)):
        pytest.fail("the lms.djangoapp entry point is missing: install the package (pip install -e .)")


@pytest.fixture
def lms_settings(request):
    """A stand-in for an LMS settings module (``lms.envs.production``), importable by name as add_plugins needs."""
    name = f"lms_settings_{uuid.uuid4().hex}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    yield module
    del sys.modules[name]


@pytest.fixture
def plugin_urlconf():
    """A root URLconf made only of what the plugin contributes, as the LMS appends it to its own."""
    name = f"lms_urls_{uuid.uuid4().hex}"
    module = types.ModuleType(name)
    module.urlpatterns = get_plugin_url_patterns(LMS)
    sys.modules[name] = module
    yield name
    del sys.modules[name]


def test_the_lms_finds_the_app_through_the_entry_point():
    assert "default_enrollments.apps.DefaultEnrollmentsConfig" in get_plugin_apps(LMS)


def test_plugin_urls_give_the_same_api_paths_as_edx_enterprise(plugin_urlconf, settings):
    settings.ROOT_URLCONF = plugin_urlconf

    match = resolve(INTENTIONS_PATH)
    assert match.namespace == "default_enrollments"
    assert reverse(f"default_enrollments:{match.url_name}") == INTENTIONS_PATH
    assert resolve(f"{INTENTIONS_PATH}learner-status/").func is not match.func
    assert resolve(f"{INTENTIONS_PATH}{uuid.uuid4()}/").func


def test_plugin_settings_point_an_lms_at_edx_enterprise_models_and_the_lms_enrollment_api(lms_settings):
    add_plugins(lms_settings.__name__, LMS, "common")

    assert lms_settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL == "enterprise.EnterpriseCustomer"
    assert lms_settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL == "enterprise.EnterpriseCustomerUser"
    assert (
        lms_settings.DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL == "enterprise.EnterpriseCourseEnrollment"
    )
    assert (
        lms_settings.DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL
        == "enterprise.LicensedEnterpriseCourseEnrollment"
    )
    assert lms_settings.DEFAULT_ENROLLMENTS == {
        "ENROLLMENT_BACKEND": "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend",
        "ASYNC": True,
        "ADMIN_PERMISSION": ENTERPRISE_ADMIN_PERMISSION,
    }


def test_plugin_settings_keep_what_the_operator_set(lms_settings):
    operator_dict = {"ASYNC": True, "ENROLLMENT_BACKEND": "my_lms.backends.Backend"}
    lms_settings.DEFAULT_ENROLLMENTS = operator_dict
    lms_settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL = "my_lms.Customer"

    add_plugins(lms_settings.__name__, LMS, "common")

    assert lms_settings.DEFAULT_ENROLLMENTS == {
        "ASYNC": True,
        "ENROLLMENT_BACKEND": "my_lms.backends.Backend",
        "ADMIN_PERMISSION": ENTERPRISE_ADMIN_PERMISSION,
    }
    assert operator_dict == {"ASYNC": True, "ENROLLMENT_BACKEND": "my_lms.backends.Backend"}, "not mutated"
    assert lms_settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL == "my_lms.Customer"
    assert lms_settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL == "enterprise.EnterpriseCustomerUser"


def test_production_settings_refill_what_a_yaml_file_left_out(lms_settings):
    add_plugins(lms_settings.__name__, LMS, "common")
    lms_settings.DEFAULT_ENROLLMENTS = {"LOGIN_TIME_BUDGET": 1.0}  # the operator's YAML replaces the dict

    add_plugins(lms_settings.__name__, LMS, "production")

    assert lms_settings.DEFAULT_ENROLLMENTS == {
        "LOGIN_TIME_BUDGET": 1.0,
        "ENROLLMENT_BACKEND": "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend",
        "ASYNC": True,
        "ADMIN_PERMISSION": ENTERPRISE_ADMIN_PERMISSION,
    }


@pytest.mark.parametrize("chosen", [None, "my_lms.LicensedEnrollment"])
def test_plugin_settings_keep_the_operators_fulfillment_model_even_none(lms_settings, chosen):
    lms_settings.DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL = chosen

    add_plugins(lms_settings.__name__, LMS, "common")

    kept = lms_settings.DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL
    assert kept == chosen


@pytest.mark.parametrize("chosen", [None, "my_lms.permissions.is_partner_admin"])
def test_plugin_settings_keep_the_operators_admin_permission_even_none(lms_settings, chosen):
    lms_settings.DEFAULT_ENROLLMENTS = {"ADMIN_PERMISSION": chosen}

    add_plugins(lms_settings.__name__, LMS, "common")

    assert lms_settings.DEFAULT_ENROLLMENTS["ADMIN_PERMISSION"] == chosen


def test_filled_settings_are_accepted_by_the_app(lms_settings, settings):
    add_plugins(lms_settings.__name__, LMS, "common")
    settings.DEFAULT_ENROLLMENTS = lms_settings.DEFAULT_ENROLLMENTS

    backend = app_settings.ENROLLMENT_BACKEND  # imported lazily; edx-platform itself is only needed on use
    assert f"{backend.__module__}.{backend.__qualname__}" == (
        "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend"
    )


def backend_path() -> str:
    backend = app_settings.ENROLLMENT_BACKEND
    return f"{backend.__module__}.{backend.__qualname__}"


def use_lms_settings(settings, lms_settings) -> None:
    """Run the app on the settings the LMS module ended up with."""
    settings.DEFAULT_ENROLLMENTS = lms_settings.DEFAULT_ENROLLMENTS
    settings.DEFAULT_ENROLLMENTS_PLATFORM_DEFAULTS = lms_settings.DEFAULT_ENROLLMENTS_PLATFORM_DEFAULTS


def test_the_lms_realizes_in_celery_and_a_standalone_host_in_process(lms_settings, settings):
    assert app_settings.ASYNC is False, "a standalone host (no plugin settings) realizes in-process"

    add_plugins(lms_settings.__name__, LMS, "common")
    add_plugins(lms_settings.__name__, LMS, "production")
    use_lms_settings(settings, lms_settings)

    assert app_settings.ASYNC is True


def test_a_tutor_patch_that_reassigns_the_dict_keeps_the_lms_defaults(lms_settings, settings):
    add_plugins(lms_settings.__name__, LMS, "common")
    add_plugins(lms_settings.__name__, LMS, "production")
    # Tutor's openedx-lms-*-settings patches run after both hooks, as plain Python assignments.
    lms_settings.DEFAULT_ENROLLMENTS = {"CATALOG_TIMEOUT": 2.0}
    use_lms_settings(settings, lms_settings)

    assert app_settings.CATALOG_TIMEOUT == 2.0
    assert app_settings.ASYNC is True
    assert backend_path() == "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend"


def test_operator_keys_win_over_the_recorded_lms_defaults(lms_settings, settings):
    add_plugins(lms_settings.__name__, LMS, "common")
    lms_settings.DEFAULT_ENROLLMENTS = {"ASYNC": False}
    use_lms_settings(settings, lms_settings)

    assert app_settings.ASYNC is False


def test_an_unset_backend_is_the_open_edx_one_where_the_lms_enrollment_api_imports(platform, settings):
    # No plugin settings at all: a patch replaced the dict and the recorded defaults are gone too.
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_TIMEOUT": 2.0}

    assert backend_path() == "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend"


def test_an_unset_backend_is_the_reference_one_outside_an_lms(settings):
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_TIMEOUT": 2.0}

    assert backend_path() == "default_enrollments.contrib.reference_host.backend.ReferenceEnrollmentBackend"


def test_plugin_wires_the_login_receivers_without_connecting_them_twice():
    [(handlers, config)] = [
        (module, config) for module, config in iter_signal_plugins(LMS) if module.__name__.startswith(
            "default_enrollments."
        )
    ]
    receivers = config["receivers"]
    assert "django.contrib.auth.signals.user_logged_in" in {receiver["signal_path"] for receiver in receivers}
    for receiver in receivers:
        assert callable(getattr(handlers, receiver["receiver_func_name"]))
    # The app's ready() already connected them; disconnecting by dispatch_uid proves which are live.
    before = len(user_logged_in.receivers)
    connect_plugin_receivers(LMS)
    assert len(user_logged_in.receivers) == before, "same dispatch_uid as ready(): no double realization"

    for receiver in receivers:
        signal = import_string(receiver["signal_path"])
        assert signal.disconnect(dispatch_uid=receiver["dispatch_uid"]), f"{receiver} was not connected"
    connect_plugin_receivers(LMS)
    for receiver in receivers:
        signal = import_string(receiver["signal_path"])
        assert signal.disconnect(dispatch_uid=receiver["dispatch_uid"]), f"the plugin did not connect {receiver}"
    connect_plugin_receivers(LMS)  # leave them wired for the other tests


def installed_edx_enterprise(path, monkeypatch, version: str) -> None:
    """An installed edx-enterprise distribution of that version, as pip leaves its metadata on sys.path."""
    dist_info = path / f"edx_enterprise-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: edx-enterprise\nVersion: {version}\n")
    monkeypatch.syspath_prepend(str(path))


APP_MODEL_SETTINGS = ("DEFAULT_ENROLLMENTS_INTENTION_MODEL", "DEFAULT_ENROLLMENTS_REALIZATION_MODEL")


@pytest.mark.parametrize("version", ["4.32.0", "8.18.0"])
def test_plugin_settings_choose_edx_enterprises_intention_tables_from_4_32(lms_settings, tmp_path, monkeypatch,
                                                                           version):
    installed_edx_enterprise(tmp_path, monkeypatch, version)

    add_plugins(lms_settings.__name__, LMS, "common")

    assert lms_settings.DEFAULT_ENROLLMENTS_INTENTION_MODEL == "enterprise.DefaultEnterpriseEnrollmentIntention"
    assert lms_settings.DEFAULT_ENROLLMENTS_REALIZATION_MODEL == "enterprise.DefaultEnterpriseEnrollmentRealization"


@pytest.mark.parametrize("version", [None, "4.31.9", "3.61.11"])
def test_plugin_settings_keep_the_apps_own_tables_before_edx_enterprise_4_32(lms_settings, tmp_path, monkeypatch,
                                                                             version):
    if version:
        installed_edx_enterprise(tmp_path, monkeypatch, version)

    add_plugins(lms_settings.__name__, LMS, "common")

    for name in APP_MODEL_SETTINGS:
        assert getattr(lms_settings, name, None) is None, "unset: the app's own models"


def test_plugin_settings_keep_the_operators_choice_of_intention_tables(lms_settings, tmp_path, monkeypatch):
    installed_edx_enterprise(tmp_path, monkeypatch, "8.18.0")
    ours = "default_enrollments.DefaultEnterpriseEnrollmentIntention"
    lms_settings.DEFAULT_ENROLLMENTS_INTENTION_MODEL = ours

    add_plugins(lms_settings.__name__, LMS, "common")

    assert ours == lms_settings.DEFAULT_ENROLLMENTS_INTENTION_MODEL
    assert getattr(lms_settings, "DEFAULT_ENROLLMENTS_REALIZATION_MODEL", None) is None
