"""Who may see what: anonymous callers, learners, a customer's admins, staff."""
from __future__ import annotations

import uuid

import pytest
from django.test import RequestFactory

from default_enrollments.rest_api.v1.authentication import SessionAuthenticationWithChallenge
from default_enrollments.rest_api.v1.views import DefaultEnterpriseEnrollmentIntentionViewSet
from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    UserFactory,
)
from tests.rest_api.conftest import detail_url, learner_status_url, list_url, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_customer(db):
    return EnterpriseCustomerFactory()


@pytest.fixture
def intention(customer, catalog_server):
    catalog_server.add_course("edX+DemoX")
    return DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")


@pytest.fixture
def other_intention(other_customer, catalog_server):
    catalog_server.add_course("edX+Other")
    return DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=other_customer, content_key="edX+Other")


def status(client, **params):
    return client.get(learner_status_url(), params)


# --- anonymous -------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["list", "detail", "learner-status"])
def test_anonymous_callers_get_401_with_a_challenge(client, customer, intention, which):
    url = {"list": list_url(), "detail": detail_url(intention.uuid), "learner-status": learner_status_url()}[which]

    response = client.get(url, {"enterprise_customer_uuid": str(customer.uuid)})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"]
    assert "detail" in response.json()


def test_session_only_host_still_answers_anonymous_callers_with_401(customer):
    """Without edx-drf-extensions the session is the only authentication, and anonymous must still be 401."""
    view = DefaultEnterpriseEnrollmentIntentionViewSet.as_view(
        {"get": "learner_status"}, authentication_classes=[SessionAuthenticationWithChallenge]
    )
    request = RequestFactory().get(learner_status_url(), {"enterprise_customer_uuid": str(customer.uuid)})
    from django.contrib.auth.models import AnonymousUser  # noqa: PLC0415

    request.user = AnonymousUser()
    request._dont_enforce_csrf_checks = True

    response = view(request)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Session realm="api"'


def test_writes_are_not_allowed(staff_client, intention):
    assert staff_client.post(list_url(), {"content_key": "edX+New"}).status_code == 405
    assert staff_client.delete(detail_url(intention.uuid)).status_code == 405


# --- learner-status: bad requests -------------------------------------------------------------------


def test_missing_customer_uuid_is_400(learner_client):
    response = status(learner_client)

    assert response.status_code == 400
    assert response.json() == {"detail": "enterprise_customer_uuid is a required query parameter."}


def test_malformed_customer_uuid_is_400(learner_client):
    response = status(learner_client, enterprise_customer_uuid="not-a-uuid")

    assert response.status_code == 400
    assert response.json() == {"detail": "enterprise_customer_uuid query parameter is not a valid UUID."}


def test_learner_of_customer_a_asking_about_customer_b_is_400(learner_client, learner, other_customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=other_customer, content_key="edX+Other")

    response = status(learner_client, enterprise_customer_uuid=str(other_customer.uuid))

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"User with lms_user_id {learner.id} is not associated with the enterprise customer "
        f"{other_customer.uuid}."
    }
    assert catalog_server.catalog_requests == 0  # refused before anything was looked up


@pytest.mark.parametrize("link", [{"active": False}, {"linked": False}])
def test_learner_whose_link_is_not_active_is_400(customer, link):
    user = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=user.id, **link)

    response = status(logged_in(user), enterprise_customer_uuid=str(customer.uuid))

    assert response.status_code == 400


def test_unknown_customer_is_400(learner_client):
    assert status(learner_client, enterprise_customer_uuid=str(uuid.uuid4())).status_code == 400


# --- learner-status: whose status -------------------------------------------------------------------


def test_learner_naming_another_learner_gets_their_own_status(learner_client, learner, customer, intention):
    someone_else = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=someone_else.id)

    response = status(learner_client, enterprise_customer_uuid=str(customer.uuid), lms_user_id=someone_else.id)

    assert response.status_code == 200
    assert response.json()["lms_user_id"] == learner.id
    assert response.json()["user_email"] == learner.email


def test_learner_naming_a_malformed_lms_user_id_gets_their_own_status(learner_client, learner, customer):
    response = status(learner_client, enterprise_customer_uuid=str(customer.uuid), lms_user_id="x")

    assert response.status_code == 200
    assert response.json()["lms_user_id"] == learner.id


def test_staff_may_ask_about_any_learner(staff_client, learner, customer, intention):
    response = status(staff_client, enterprise_customer_uuid=str(customer.uuid), lms_user_id=learner.id)

    assert response.status_code == 200
    assert response.json()["lms_user_id"] == learner.id
    assert response.json()["metadata"]["total_default_enterprise_enrollment_intentions"] == 1


@pytest.mark.parametrize("lms_user_id", ["987654321", "99999999999999999999999", "-1", "0"])
def test_staff_naming_an_unknown_learner_is_400(staff_client, customer, lms_user_id):
    response = status(staff_client, enterprise_customer_uuid=str(customer.uuid), lms_user_id=lms_user_id)

    assert response.status_code == 400
    assert "not found" in response.json()["detail"]


def test_staff_naming_a_malformed_lms_user_id_is_400(staff_client, customer):
    response = status(staff_client, enterprise_customer_uuid=str(customer.uuid), lms_user_id="abc")

    assert response.status_code == 400
    assert response.json() == {"detail": "lms_user_id query parameter is not an integer."}


def test_staff_naming_a_learner_of_another_customer_is_400(staff_client, learner, other_customer):
    response = status(staff_client, enterprise_customer_uuid=str(other_customer.uuid), lms_user_id=learner.id)

    assert response.status_code == 400


def test_staff_not_linked_asking_for_themselves_is_400(staff_client, customer):
    assert status(staff_client, enterprise_customer_uuid=str(customer.uuid)).status_code == 400


# --- list and retrieve ------------------------------------------------------------------------------


def test_learner_cannot_list_or_retrieve(learner_client, customer, intention):
    assert learner_client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid)}).status_code == 403
    assert learner_client.get(detail_url(intention.uuid)).status_code == 403


def test_staff_can_list_and_retrieve_any_customer(staff_client, customer, intention, other_intention):
    assert staff_client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid)}).status_code == 200
    assert staff_client.get(detail_url(other_intention.uuid)).status_code == 200


def test_admin_of_a_customer_can_list_and_retrieve_its_intentions(admin_of, customer, intention):
    client = logged_in(admin_of(UserFactory(), customer))

    listed = client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid)})
    retrieved = client.get(detail_url(intention.uuid), {"enterprise_customer_uuid": str(customer.uuid)})

    assert listed.status_code == 200
    assert [item["uuid"] for item in listed.json()["results"]] == [str(intention.uuid)]
    assert retrieved.status_code == 200


def test_admin_of_customer_a_cannot_list_customer_b(admin_of, customer, other_customer, other_intention):
    client = logged_in(admin_of(UserFactory(), customer))

    response = client.get(list_url(), {"enterprise_customer_uuid": str(other_customer.uuid)})

    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize("query_customer", ["none", "own", "theirs"])
def test_admin_of_customer_a_cannot_retrieve_an_intention_of_customer_b(
    admin_of, customer, other_customer, other_intention, query_customer
):
    """The intention's own customer decides, whatever customer the query string names."""
    client = logged_in(admin_of(UserFactory(), customer))
    params = {"none": {}, "own": {"enterprise_customer_uuid": str(customer.uuid)},
              "theirs": {"enterprise_customer_uuid": str(other_customer.uuid)}}[query_customer]

    response = client.get(detail_url(other_intention.uuid), params)

    assert response.status_code == 403
    assert "uuid" not in response.json()


def test_without_admin_permission_setting_only_staff_may_list(customer, intention):
    client = logged_in(UserFactory())

    assert client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid)}).status_code == 403


def raising_admin_permission(request, enterprise_customer_uuid) -> bool:
    """A host's admin check that fails (its role service down, a bug): ``ADMIN_PERMISSION`` names it below."""
    raise RuntimeError("role service unavailable")


@pytest.mark.parametrize("which", ["list", "detail"])
def test_admin_permission_that_raises_is_403_not_500(settings, customer, intention, which):
    settings.DEFAULT_ENROLLMENTS = {
        **(settings.DEFAULT_ENROLLMENTS or {}),
        "ADMIN_PERMISSION": "tests.rest_api.test_permissions.raising_admin_permission",
    }
    url = {"list": list_url(), "detail": detail_url(intention.uuid)}[which]

    response = logged_in(UserFactory()).get(url, {"enterprise_customer_uuid": str(customer.uuid)})

    assert response.status_code == 403
    assert response.json() == {"detail": "Whether you administer this enterprise customer could not be checked."}


def test_list_without_customer_is_400_even_for_staff(staff_client):
    response = staff_client.get(list_url())

    assert response.status_code == 400
    assert response.json() == {"detail": "enterprise_customer_uuid is a required query parameter."}


def test_list_with_malformed_customer_is_400(staff_client):
    assert staff_client.get(list_url(), {"enterprise_customer_uuid": "nope"}).status_code == 400


@pytest.mark.parametrize("key", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_intention_is_404(staff_client, key):
    assert staff_client.get(detail_url(key)).status_code == 404


def test_soft_deleted_intention_is_404(staff_client, intention):
    intention.delete()

    assert staff_client.get(detail_url(intention.uuid)).status_code == 404


def test_learner_of_an_inactive_customer_is_400(learner_client, customer):
    """Login does not enroll learners of a deactivated customer, so there is no status to show either."""
    customer.active = False
    customer.save()

    assert status(learner_client, enterprise_customer_uuid=str(customer.uuid)).status_code == 400
