"""W003: choosing the subscription-license policy without a way to reach license-manager is named at deploy."""
import pytest
from django.test import override_settings

from default_enrollments import checks
from tests.licenses.conftest import POLICY

OWN_CREDENTIALS = {
    "OAUTH2_PROVIDER_URL": "http://lms.test/oauth2",
    "OAUTH2_CLIENT_ID": "id",
    "OAUTH2_CLIENT_SECRET": "secret",
}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_license_policy_without_a_license_manager_url_is_a_warning():
    with override_settings(DEFAULT_ENROLLMENTS={"ELIGIBILITY_POLICY": POLICY}, LICENSE_MANAGER_URL=None):
        (warning,) = checks.check_license_manager_credentials()

    assert warning.id == "default_enrollments.W003"
    assert "LICENSE_MANAGER_API_URL" in warning.msg


@pytest.mark.parametrize("host_setting", ["ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY",
                                          "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET"])
def test_the_license_policy_without_oauth2_credentials_is_a_warning(host_setting):
    configured = {"ELIGIBILITY_POLICY": POLICY, "LICENSE_MANAGER_API_URL": "http://license-manager.test/api/v1/"}
    with override_settings(DEFAULT_ENROLLMENTS=configured, **{host_setting: None}):
        assert ids(checks.check_license_manager_credentials()) == ["default_enrollments.W003"]


@pytest.mark.parametrize(
    "configured",
    [
        {"ELIGIBILITY_POLICY": POLICY, "LICENSE_MANAGER_API_URL": "http://license-manager.test/api/v1/"},
        {"ELIGIBILITY_POLICY": POLICY, "LICENSE_MANAGER_API_URL": "http://lm.test/api/v1/", **OWN_CREDENTIALS},
    ],
)
def test_the_license_policy_with_its_url_and_credentials_is_silent(configured):
    with override_settings(DEFAULT_ENROLLMENTS=configured):
        assert checks.check_license_manager_credentials() == []


def test_the_lms_license_manager_url_is_enough():
    with override_settings(DEFAULT_ENROLLMENTS={"ELIGIBILITY_POLICY": POLICY},
                           LICENSE_MANAGER_URL="http://license-manager.test"):
        assert checks.check_license_manager_credentials() == []


def test_other_policies_need_no_license_manager():
    with override_settings(DEFAULT_ENROLLMENTS={}, LICENSE_MANAGER_URL=None):
        assert checks.check_license_manager_credentials() == []
