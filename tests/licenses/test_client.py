"""
license-manager's answers, read as hostile (``responses`` at the requests boundary): a license counts only when
every field the policy needs has the right type and says "usable"; an answer of the wrong shape is an error,
never "no license"; answers are cached per learner and customer, failures are not.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import responses

from default_enrollments.exceptions import LicenseManagerResponseError, LicenseManagerUnavailable
from default_enrollments.licenses.client import get_licenses
from tests.license_manager_server import subscription_plan

API = "http://license-manager.test/api/v1/"
LOOKUP = f"{API}admin-license-view/"
TOKEN = "http://lms.test/oauth2/access_token"
CUSTOMER = "11111111-1111-4111-8111-111111111111"
CATALOG = "22222222-2222-4222-8222-222222222222"
EMAIL = "learner@example.com"


@pytest.fixture(autouse=True)
def configured(settings):
    settings.DEFAULT_ENROLLMENTS = {
        "LICENSE_MANAGER_API_URL": API,
        "OAUTH2_PROVIDER_URL": "http://lms.test/oauth2",
        "OAUTH2_CLIENT_ID": "id",
        "OAUTH2_CLIENT_SECRET": "secret",
    }


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN, json={"access_token": "jwt", "expires_in": 3600})
        yield mock


def a_license(**changes) -> dict:
    entry = {
        "uuid": str(uuid.uuid4()),
        "status": "activated",
        "user_email": EMAIL,
        "subscription_plan": subscription_plan(CUSTOMER, CATALOG),
    }
    plan_changes = changes.pop("plan", {})
    entry.update(changes)
    if isinstance(entry["subscription_plan"], dict):
        entry["subscription_plan"].update(plan_changes)
    return entry


def page(results, next_url=None) -> dict:
    return {"count": len(results) if isinstance(results, list) else 1, "next": next_url, "previous": None,
            "results": results}


def lookups(http) -> list:
    return [call for call in http.calls if call.request.url.startswith(LOOKUP)]


def test_an_activated_license_of_a_current_plan_is_usable(http):
    entry = a_license()
    http.get(LOOKUP, json=page([entry]))

    [found] = get_licenses(7, EMAIL, CUSTOMER)

    assert str(found.uuid) == entry["uuid"]
    assert str(found.catalog_uuid) == CATALOG
    assert found.is_usable
    request = lookups(http)[0].request
    assert request.headers["Authorization"] == "JWT jwt"
    assert f"enterprise_customer_uuid={CUSTOMER}" in request.url and "user_email=learner%40example.com" in request.url


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "assigned"},
        {"status": "revoked"},
        {"plan": {"is_active": False}},
        {"plan": {"is_active": "true"}},  # a string is not true
        {"plan": {"is_current": False}},
        {"plan": {"is_current": 1}},
        {"plan": {"enterprise_catalog_uuid": None}},
        {"plan": {"enterprise_catalog_uuid": "not-a-uuid"}},
        {"plan": {"expiration_date": None}},
        {"plan": {"expiration_date": "soon"}},
        # license-manager's clock says current, but the plan ended: the clock here decides too
        {"plan": {"expiration_date": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}},
    ],
    ids=str,
)
def test_a_license_is_not_usable_unless_every_field_says_so(http, changes):
    http.get(LOOKUP, json=page([a_license(**changes)]))

    [found] = get_licenses(7, EMAIL, CUSTOMER)

    assert not found.is_usable


@pytest.mark.parametrize(
    "entry",
    [
        "a string",
        None,
        [1, 2],
        a_license(uuid=12),
        a_license(uuid="not-a-uuid"),
        a_license(status="ACTIVATED"),
        a_license(status=None),
        a_license(subscription_plan="plan"),
        a_license(plan={"enterprise_customer_uuid": "33333333-3333-4333-8333-333333333333"}),  # another customer's
        a_license(plan={"enterprise_customer_uuid": None}),
    ],
    ids=repr,
)
def test_a_malformed_license_is_absent_and_costs_only_itself(http, entry):
    good = a_license()
    http.get(LOOKUP, json=page([entry, good]))

    assert [str(found.uuid) for found in get_licenses(7, EMAIL, CUSTOMER)] == [good["uuid"]]


@pytest.mark.parametrize(
    "body",
    ["<html>busy</html>", json.dumps({"results": "many"}), json.dumps([]), json.dumps({"detail": "x"}), "null"],
)
def test_an_answer_of_the_wrong_shape_is_an_error_not_no_license(http, body):
    http.get(LOOKUP, body=body, content_type="application/json")

    with pytest.raises(LicenseManagerResponseError):
        get_licenses(7, EMAIL, CUSTOMER)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
def test_an_error_status_is_unavailable(http, status):
    http.get(LOOKUP, json={"detail": "no"}, status=status)

    with pytest.raises(LicenseManagerUnavailable):
        get_licenses(7, EMAIL, CUSTOMER)


def test_a_503_is_tried_once_more(http):
    entry = a_license()
    http.get(LOOKUP, status=503)
    http.get(LOOKUP, json=page([entry]))

    assert [str(found.uuid) for found in get_licenses(7, EMAIL, CUSTOMER)] == [entry["uuid"]]
    assert len(lookups(http)) == 2


def test_pages_are_followed_on_the_same_origin_only(http):
    first, second = a_license(), a_license()
    http.get(LOOKUP, json=page([first], next_url=f"{LOOKUP}?page=2&user_email=x"), match=[
        responses.matchers.query_param_matcher({"user_email": EMAIL, "enterprise_customer_uuid": CUSTOMER})
    ])
    http.get(LOOKUP, json=page([second]), match=[responses.matchers.query_param_matcher({"page": "2",
                                                                                         "user_email": "x"})])

    assert {str(found.uuid) for found in get_licenses(7, EMAIL, CUSTOMER)} == {first["uuid"], second["uuid"]}


@pytest.mark.parametrize("next_url", ["http://elsewhere.test/api/v1/admin-license-view/?page=2",
                                      "https://license-manager.test/api/v1/admin-license-view/?page=2",
                                      "http://user:pw@license-manager.test/api/v1/admin-license-view/?page=2"])
def test_a_next_link_off_the_origin_refuses_the_answer(http, next_url):
    http.get(LOOKUP, json=page([a_license()], next_url=next_url))

    with pytest.raises(LicenseManagerResponseError):
        get_licenses(7, EMAIL, CUSTOMER)
    assert len(lookups(http)) == 1


def test_an_oversized_answer_is_refused(http, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "LICENSE_MAX_RESPONSE_BYTES": 1000}
    http.get(LOOKUP, json=page([a_license() for _ in range(10)]))

    with pytest.raises(LicenseManagerResponseError):
        get_licenses(7, EMAIL, CUSTOMER)


def test_answers_are_cached_per_learner_and_customer_and_failures_are_not(http):
    http.get(LOOKUP, status=500)
    with pytest.raises(LicenseManagerUnavailable):
        get_licenses(7, EMAIL, CUSTOMER)
    http.replace(responses.GET, LOOKUP, json=page([a_license()]))

    first = get_licenses(7, EMAIL, CUSTOMER)
    again = get_licenses(7, EMAIL, CUSTOMER)
    get_licenses(8, "other@example.com", CUSTOMER)

    assert first == again and first[0].is_usable
    assert len(lookups(http)) == 3  # the failure, the first answer, the other learner


def test_a_learner_without_an_email_holds_no_license_and_costs_no_request(http):
    assert get_licenses(7, "", CUSTOMER) == ()
    assert len(http.calls) == 0


def test_without_a_url_license_manager_is_unavailable(http, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "LICENSE_MANAGER_API_URL": None}

    with pytest.raises(LicenseManagerUnavailable, match="LICENSE_MANAGER_API_URL"):
        get_licenses(7, EMAIL, CUSTOMER)


def test_the_lms_license_manager_url_is_the_default(http, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "LICENSE_MANAGER_API_URL": None}
    settings.LICENSE_MANAGER_URL = "http://license-manager.test/"
    http.get(LOOKUP, json=page([]))

    assert get_licenses(7, EMAIL, CUSTOMER) == ()
    assert len(lookups(http)) == 1
