"""The customer opt-out admin: an operator adds a customer by UUID; a UUID that names nobody is refused."""
from __future__ import annotations

from uuid import uuid4

import pytest
from django.urls import reverse

from default_enrollments.models import CustomerOptOut
from tests.factories import EnterpriseCustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:default_enrollments_customeroptout_add")


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory())
    return client


def test_an_operator_opts_a_customer_out_by_uuid(staff_client):
    customer = EnterpriseCustomerFactory()

    response = staff_client.post(ADD_URL, {"enterprise_customer_uuid": str(customer.uuid), "reason": "pilot paused"})

    assert response.status_code == 302
    assert CustomerOptOut.objects.get().enterprise_customer_uuid == customer.uuid


@pytest.mark.parametrize(
    ("value", "message"),
    [(str(uuid4()), "No enterprise customer has this UUID."), ("not-a-uuid", "valid UUID")],
    ids=["unknown customer", "malformed"],
)
def test_a_uuid_that_names_no_customer_is_refused_and_nothing_is_saved(staff_client, value, message):
    response = staff_client.post(ADD_URL, {"enterprise_customer_uuid": value, "reason": ""})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CustomerOptOut.objects.exists()


def test_the_list_shows_each_opt_out(staff_client):
    customer = EnterpriseCustomerFactory()
    CustomerOptOut.objects.create(enterprise_customer_uuid=customer.uuid, reason="pilot paused")

    response = staff_client.get(reverse("admin:default_enrollments_customeroptout_changelist"))

    assert response.status_code == 200
    assert str(customer.uuid) in response.content.decode()
    assert "pilot paused" in response.content.decode()
