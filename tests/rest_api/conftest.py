"""Fixtures of the REST API tests: a customer, a linked learner, staff, and session-logged-in clients."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import (
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    StaffUserFactory,
    UserFactory,
)

LIST_URL = "default_enrollments:default-enterprise-enrollment-intentions-list"
LEARNER_STATUS_URL = "default_enrollments:default-enterprise-enrollment-intentions-learner-status"
DETAIL_URL = "default_enrollments:default-enterprise-enrollment-intentions-detail"


def list_url() -> str:
    return reverse(LIST_URL)


def learner_status_url() -> str:
    return reverse(LEARNER_STATUS_URL)


def detail_url(intention_uuid) -> str:
    return reverse(DETAIL_URL, kwargs={"uuid": intention_uuid})


def logged_in(user) -> Client:
    """A client holding a real session for ``user`` (session authentication, as a browser would)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer(db):
    return EnterpriseCustomerFactory()


@pytest.fixture
def learner(customer):
    user = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=user.id)
    return user


@pytest.fixture
def staff(db):
    return StaffUserFactory()


@pytest.fixture
def learner_client(learner):
    return logged_in(learner)


@pytest.fixture
def staff_client(staff):
    return logged_in(staff)


@pytest.fixture
def admin_of(settings):
    """Make ``ADMIN_PERMISSION`` grant ``user`` the customers given: ``admin_of(user, customer, ...)``."""
    settings.DEFAULT_ENROLLMENTS = {
        **(settings.DEFAULT_ENROLLMENTS or {}),
        "ADMIN_PERMISSION": "tests.rest_api.conftest.granted_admin_permission",
    }
    _GRANTS.clear()

    def grant(user, *customers):
        _GRANTS.setdefault(user.pk, set()).update(str(c.uuid) for c in customers)
        return user

    yield grant
    _GRANTS.clear()


_GRANTS: dict[int, set[str]] = {}


def granted_admin_permission(request, enterprise_customer_uuid) -> bool:
    """A host's enterprise-admin check, as ``DEFAULT_ENROLLMENTS["ADMIN_PERMISSION"]`` names it."""
    return str(enterprise_customer_uuid) in _GRANTS.get(request.user.pk, set())
