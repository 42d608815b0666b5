"""
Enterprise admins on a real Open edX enterprise host: edx-enterprise's role assignments (edx-rbac) decide who
administers which customer, through the ``ADMIN_PERMISSION`` the plugin settings give an LMS.

``make test-edx-enterprise`` runs these; elsewhere the module is skipped, edx-enterprise not being the host.
"""
from __future__ import annotations

import types

import jwt
import pytest
from django.conf import settings
from django.test import Client

if settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL != "enterprise.EnterpriseCustomer":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise (edx-enterprise's models)", allow_module_level=True)

from edx_rest_framework_extensions.auth.jwt.tests.utils import (  # noqa: E402
    generate_asymmetric_jwt_token,
    generate_unversioned_payload,
)
from enterprise.constants import ENTERPRISE_ADMIN_ROLE, ENTERPRISE_OPERATOR_ROLE  # noqa: E402
from enterprise.models import SystemWideEnterpriseRole, SystemWideEnterpriseUserRoleAssignment  # noqa: E402

from default_enrollments.models import DefaultEnterpriseEnrollmentIntention  # noqa: E402
from default_enrollments.settings import common as lms_plugin_settings  # noqa: E402
from tests.factories import (  # noqa: E402
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    UserFactory,
)
from tests.rest_api.conftest import detail_url, list_url, logged_in  # noqa: E402
from tests.rest_api.test_jwt import jwt_settings  # noqa: E402, F401 (the LMS's asymmetric signing keys)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lms_admin_permission(settings):
    """``DEFAULT_ENROLLMENTS`` as the plugin settings fill it in an LMS (the test host's backend kept)."""
    backend = settings.DEFAULT_ENROLLMENTS["ENROLLMENT_BACKEND"]
    lms = types.SimpleNamespace(DEFAULT_ENROLLMENTS={"ENROLLMENT_BACKEND": backend})
    lms_plugin_settings.plugin_settings(lms)
    settings.DEFAULT_ENROLLMENTS = lms.DEFAULT_ENROLLMENTS


@pytest.fixture
def customers(catalog_server):
    catalog_server.add_course("edX+DemoX")
    catalog_server.add_course("edX+Other")
    customer_a, customer_b = EnterpriseCustomerFactory(name="Customer A"), EnterpriseCustomerFactory(name="Customer B")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer_a, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer_b, content_key="edX+Other")
    return customer_a, customer_b


def assign(user, role_name: str, customer=None, *, all_contexts: bool = False):
    """What edx-enterprise's admin (or its admin-invite flow) writes for an enterprise admin."""
    role, _ = SystemWideEnterpriseRole.objects.get_or_create(name=role_name)
    return SystemWideEnterpriseUserRoleAssignment.objects.create(
        user=user, role=role, enterprise_customer=customer, applies_to_all_contexts=all_contexts
    )


def admin_of(customer):
    user = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=user.id)
    assign(user, ENTERPRISE_ADMIN_ROLE, customer)
    return user


def listing(client, customer, **headers):
    return client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid)}, **headers)


def test_the_admin_of_a_lists_as_intentions_and_gets_403_for_b(customers):
    customer_a, customer_b = customers
    client = logged_in(admin_of(customer_a))

    own = listing(client, customer_a)
    other = listing(client, customer_b)

    assert own.status_code == 200, own.content
    assert [row["content_key"] for row in own.json()["results"]] == ["edX+DemoX"]
    assert other.status_code == 403
    assert "edX+Other" not in other.content.decode()


def test_the_admin_of_a_cannot_retrieve_an_intention_of_b(customers):
    customer_a, customer_b = customers
    intention_b = DefaultEnterpriseEnrollmentIntention.objects.get(enterprise_customer=customer_b)
    client = logged_in(admin_of(customer_a))

    response = client.get(detail_url(intention_b.uuid), {"enterprise_customer_uuid": str(customer_a.uuid)})

    assert response.status_code == 403
    assert "edX+Other" not in response.content.decode()


def test_a_learner_of_a_without_a_role_gets_403(customers):
    customer_a, _ = customers
    learner = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer_a, user_id=learner.id)

    assert listing(logged_in(learner), customer_a).status_code == 403


def test_a_revoked_assignment_takes_effect_on_the_next_request(customers):
    customer_a, _ = customers
    user = admin_of(customer_a)
    client = logged_in(user)
    assert listing(client, customer_a).status_code == 200

    SystemWideEnterpriseUserRoleAssignment.objects.filter(user=user).delete()

    assert listing(client, customer_a).status_code == 403


def test_the_open_edx_operator_role_reaches_every_customer(customers):
    customer_a, customer_b = customers
    operator = UserFactory()
    assign(operator, ENTERPRISE_OPERATOR_ROLE, all_contexts=True)
    client = logged_in(operator)

    assert listing(client, customer_a).status_code == 200
    assert listing(client, customer_b).status_code == 200


def test_a_verified_jwt_with_an_admin_role_for_a_gets_200_for_a_and_403_for_b(jwt_settings, customers):  # noqa: F811
    customer_a, customer_b = customers
    user = UserFactory()  # no role assignment in the database: the LMS's signed claim alone decides
    payload = generate_unversioned_payload(user)
    payload["roles"] = [f"{ENTERPRISE_ADMIN_ROLE}:{customer_a.uuid}"]
    header = {"HTTP_AUTHORIZATION": f"JWT {generate_asymmetric_jwt_token(payload)}"}

    assert listing(Client(), customer_a, **header).status_code == 200
    assert listing(Client(), customer_b, **header).status_code == 403


def test_an_unverified_jwt_claiming_the_admin_role_is_refused(jwt_settings, customers):  # noqa: F811
    customer_a, _ = customers
    user = UserFactory()
    payload = generate_unversioned_payload(user)
    payload["roles"] = [f"{ENTERPRISE_ADMIN_ROLE}:{customer_a.uuid}", f"{ENTERPRISE_OPERATOR_ROLE}:*"]
    forged = jwt.encode(payload, None, algorithm="none")

    response = listing(Client(), customer_a, HTTP_AUTHORIZATION=f"JWT {forged}")

    assert response.status_code == 401
    assert "edX+DemoX" not in response.content.decode()


def test_a_role_claim_in_a_jwt_cookie_does_not_count_for_a_session(monkeypatch, customers):
    """The cookie's signature is never checked for claims: the session's user and the database decide."""
    from rest_framework_jwt.settings import api_settings  # noqa: PLC0415

    monkeypatch.setattr(api_settings, "JWT_AUTH_COOKIE", "edx-jwt-cookie", raising=False)
    customer_a, _ = customers
    learner = UserFactory()
    client = logged_in(learner)
    payload = generate_unversioned_payload(learner)
    payload["roles"] = [f"{ENTERPRISE_ADMIN_ROLE}:{customer_a.uuid}"]
    client.cookies["edx-jwt-cookie"] = jwt.encode(payload, None, algorithm="none")

    assert listing(client, customer_a).status_code == 403
