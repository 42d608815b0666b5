"""Deploy-time checks: each fires on its misconfiguration, and the shipped configurations pass them all."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from default_enrollments import checks
from default_enrollments.checks import TAG

ROOT = Path(__file__).resolve().parent.parent
OPENEDX_BACKEND = "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend"
STATIC_CLIENT = "default_enrollments.catalog.static.StaticCatalogClient"
ALT_HOST_MODELS = {
    "DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL": "alt_host.Organization",
    "DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL": "alt_host.OrganizationMembership",
    "DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL": "alt_host.MembershipCourseEnrollment",
}


def manage_py_check(settings_module: str, *args: str, path: Path | None = None) -> subprocess.CompletedProcess:
    """``manage.py check`` in a fresh process, as at deploy (``path``: where an extra settings module lives)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), str(ROOT)])
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def ours() -> list:
    """What ``manage.py check`` would report of the app's checks (the test settings silence one)."""
    return [message for message in run_checks(tags=[TAG]) if not message.is_silenced()]


def test_the_test_settings_pass_every_check_but_the_one_they_silence():
    assert ours() == []


# --- unknown keys -------------------------------------------------------------------------------------------


def test_a_misspelled_key_is_an_error_that_suggests_the_known_key():
    with override_settings(DEFAULT_ENROLLMENTS={"CATALOG_TIMOUT": 3, "LOGIN_TIME_BUDGET": 1.0}):
        (error,) = checks.check_known_keys()

    assert error.id == "default_enrollments.E001"
    assert "'CATALOG_TIMOUT'" in error.msg
    assert error.hint == "Did you mean 'CATALOG_TIMEOUT'?"


def test_an_unknown_key_with_no_close_match_lists_the_known_keys():
    with override_settings(DEFAULT_ENROLLMENTS={"ZZZ": 1}):
        (error,) = checks.check_known_keys()

    assert "CATALOG_CLIENT" in error.hint


def test_a_setting_that_is_not_a_dict_is_an_error():
    with override_settings(DEFAULT_ENROLLMENTS=["ASYNC"]):
        assert ids(checks.check_known_keys()) == ["default_enrollments.E001"]


# --- dotted paths -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["CATALOG_CLIENT", "ENROLLMENT_BACKEND", "ELIGIBILITY_POLICY", "ADMIN_PERMISSION"])
def test_a_dotted_path_that_does_not_import_is_an_error(key):
    with override_settings(DEFAULT_ENROLLMENTS={key: "default_enrollments.no_such_module.Thing"}):
        errors = ours()

    assert ids(errors) == ["default_enrollments.E002"]
    assert key in errors[0].msg
    assert "no_such_module" in errors[0].msg


# --- the enrollment backend's app ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [
        "default_enrollments.contrib.reference_host.backend.ReferenceEnrollmentBackend",
        "default_enrollments.backends.reference.ReferenceEnrollmentBackend",
    ],
)
def test_the_reference_backend_without_the_reference_host_app_is_an_error(backend):
    apps_without_reference = [app for app in _installed_apps() if app != "default_enrollments.contrib.reference_host"]
    with override_settings(INSTALLED_APPS=apps_without_reference, DEFAULT_ENROLLMENTS={"ENROLLMENT_BACKEND": backend}):
        errors = checks.check_enrollment_backend_app() + checks.check_dotted_paths()

    assert ids(errors) == ["default_enrollments.E003"]
    assert "OpenEdxEnrollmentBackend" in errors[0].hint


def test_the_open_edx_backend_needs_no_app_of_its_own():
    with override_settings(DEFAULT_ENROLLMENTS={"ENROLLMENT_BACKEND": OPENEDX_BACKEND}):
        assert ids(checks.check_enrollment_backend_app() + checks.check_dotted_paths()) == []


def _installed_apps() -> list[str]:
    from django.conf import settings  # noqa: PLC0415

    return list(settings.INSTALLED_APPS)


# --- host models --------------------------------------------------------------------------------------------


def test_a_host_model_that_does_not_resolve_is_an_error():
    with override_settings(DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL="nosuchapp.Customer"):
        errors = checks.check_host_models()

    assert ids(errors) == ["default_enrollments.E004"]
    assert "nosuchapp.Customer" in errors[0].msg


def test_a_host_model_that_lacks_fields_the_app_reads_is_an_error():
    # The reference host's LMS-side enrollment is a model, but not an enterprise enrollment.
    with override_settings(
        DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL="default_enrollments_reference.CourseEnrollment"
    ):
        errors = checks.check_host_models()

    assert ids(errors) == ["default_enrollments.E005"]
    assert "enterprise_customer_user" in errors[0].msg
    assert "unenrolled_at" in errors[0].msg


# --- license fulfillment and enrollment source ---------------------------------------------------------------

LICENSED_MODEL = "DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL"
LICENSE_POLICY = "my_lms.licenses.subscription_license_policy"


def test_a_fulfillment_model_that_does_not_resolve_is_an_error():
    with override_settings(**{LICENSED_MODEL: "nosuchapp.LicensedEnrollment"}):
        errors = checks.check_license_fulfillment()

    assert ids(errors) == ["default_enrollments.E007"]
    assert "nosuchapp.LicensedEnrollment" in errors[0].msg


def test_a_fulfillment_model_without_the_license_fields_is_an_error():
    with override_settings(**{LICENSED_MODEL: "default_enrollments_reference.CourseEnrollment"}):
        errors = checks.check_license_fulfillment()

    assert ids(errors) == ["default_enrollments.E007"]
    assert "enterprise_course_enrollment, license_uuid, is_revoked" in errors[0].msg


def test_a_license_policy_on_a_host_that_keeps_no_fulfillment_is_a_warning(settings):
    settings.DEFAULT_ENROLLMENTS = {**(settings.DEFAULT_ENROLLMENTS or {}), "ELIGIBILITY_POLICY": LICENSE_POLICY}
    with override_settings(**{LICENSED_MODEL: None}):
        warned = checks.check_license_fulfillment()
    kept = checks.check_license_fulfillment()

    assert ids(warned) == ["default_enrollments.W004"]
    assert LICENSED_MODEL in warned[0].hint
    assert kept == []


def test_a_host_of_its_own_keeps_no_fulfillment_unless_it_names_a_model():
    with override_settings(**ALT_HOST_MODELS):
        assert checks.check_license_fulfillment() == []
        from default_enrollments.models import get_licensed_enrollment_model  # noqa: PLC0415

        assert get_licensed_enrollment_model() is None


# --- catalog credentials ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host_setting",
    [
        "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL",
        "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL",
        "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY",
        "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET",
    ],
)
def test_the_http_catalog_client_without_a_url_or_credential_is_a_warning(host_setting):
    with override_settings(**{host_setting: None}):
        warnings = checks.check_catalog_credentials()

    assert ids(warnings) == ["default_enrollments.W001"]


def test_credentials_in_the_apps_own_keys_are_enough():
    own = {
        "CATALOG_API_URL": "http://catalog.test/api/v1/",
        "OAUTH2_PROVIDER_URL": "http://lms.test/oauth2",
        "OAUTH2_CLIENT_ID": "id",
        "OAUTH2_CLIENT_SECRET": "secret",
    }
    with override_settings(
        DEFAULT_ENROLLMENTS=own,
        ENTERPRISE_CATALOG_INTERNAL_ROOT_URL=None,
        ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY=None,
    ):
        assert checks.check_catalog_credentials() == []


def test_the_static_catalog_client_needs_no_credentials():
    static = {"CATALOG_CLIENT": STATIC_CLIENT}
    with override_settings(DEFAULT_ENROLLMENTS=static, ENTERPRISE_CATALOG_INTERNAL_ROOT_URL=None):
        assert checks.check_catalog_credentials() == []


# --- JWT ----------------------------------------------------------------------------------------------------


def _jwt_auth(**extra) -> dict:
    from django.conf import settings  # noqa: PLC0415

    return {**settings.JWT_AUTH, **extra}


def test_jwt_authentication_without_a_public_key_set_warns_that_jwt_callers_get_401():
    with override_settings(JWT_AUTH=_jwt_auth(JWT_PUBLIC_SIGNING_JWK_SET=None)):
        (warning,) = checks.check_jwt_key_set()

    assert warning.id == "default_enrollments.W002"
    assert "401" in warning.msg


def test_a_key_set_with_only_a_symmetric_key_still_warns():
    symmetric = json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}]})
    with override_settings(JWT_AUTH=_jwt_auth(JWT_PUBLIC_SIGNING_JWK_SET=symmetric)):
        assert ids(checks.check_jwt_key_set()) == ["default_enrollments.W002"]


def test_a_public_key_set_silences_the_jwt_warning(rsa_jwk_set):
    with override_settings(JWT_AUTH=_jwt_auth(JWT_PUBLIC_SIGNING_JWK_SET=rsa_jwk_set)):
        assert checks.check_jwt_key_set() == []


def test_a_host_without_jwt_settings_gets_no_jwt_warning():
    with override_settings(JWT_AUTH=None):
        assert checks.check_jwt_key_set() == []


@pytest.fixture
def rsa_jwk_set() -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415
    from jwt.algorithms import RSAAlgorithm  # noqa: PLC0415

    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return json.dumps({"keys": [{**json.loads(RSAAlgorithm.to_jwk(public)), "alg": "RS256"}]})


# --- the app's own model settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", checks.OWN_MODEL_SETTINGS)
def test_one_own_model_setting_without_the_other_is_an_error(name):
    with override_settings(**{name: "some_app.SomeModel"}):
        errors = checks.check_own_model_settings()

    assert ids(errors) == ["default_enrollments.E006"]
    assert name in errors[0].msg


def test_both_own_model_settings_together_are_not_this_error():
    both = dict.fromkeys(checks.OWN_MODEL_SETTINGS, "some_app.SomeModel")
    with override_settings(**both):
        assert checks.check_own_model_settings() == []


# --- documentation and the shipped configurations ------------------------------------------------------------


def test_every_check_id_is_documented():
    source = Path(checks.__file__).read_text()
    readme = (ROOT / "docs" / "checks.rst").read_text()
    check_ids = set(re.findall(r'id="(default_enrollments\.[EW]\d{3})"', source))

    assert len(check_ids) == 11
    assert sorted(check_id for check_id in check_ids if check_id not in readme) == []


@pytest.mark.parametrize("settings_module", ["demo.settings", "tests.settings", "tests.settings_swapped"])
def test_manage_py_check_is_silent_on_the_shipped_configurations(settings_module):
    result = manage_py_check(settings_module, "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_manage_py_check_names_each_misconfiguration_of_a_broken_host(tmp_path):
    """End to end, as at deploy: even a customer model that does not resolve is reported, not a traceback."""
    (tmp_path / "broken_host_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        "DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL = 'nosuchapp.Customer'\n"
        "DEFAULT_ENROLLMENTS = {'CATALOG_TIMOUT': 3, 'ELIGIBILITY_POLICY': 'nowhere.policy'}\n"
    )
    result = manage_py_check("broken_host_settings", "--tag", TAG, path=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    reported = re.findall(r"\(default_enrollments\.(\w+)\)", result.stderr)
    assert sorted(reported) == ["E001", "E002", "E004"], result.stderr
    assert "Did you mean 'CATALOG_TIMEOUT'?" in result.stderr
