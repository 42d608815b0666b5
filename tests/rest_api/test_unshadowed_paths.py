"""
The API under ``default-enrollments/``, the path that still reaches this app on an LMS whose edx-enterprise
answers the shared intention paths first (ADR 0003).
"""
import pytest
from django.urls import reverse

from tests.factories import DefaultEnterpriseEnrollmentIntentionFactory
from tests.rest_api.conftest import learner_status_url

pytestmark = pytest.mark.django_db


def test_learner_status_answers_the_same_under_the_unshadowed_path(learner_client, customer, catalog_server):
    catalog_server.add_course("edX+DemoX", runs=["course-v1:edX+DemoX+2030"])
    catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    params = {"enterprise_customer_uuid": str(customer.uuid)}
    unshadowed = reverse("default_enrollments:unshadowed:default-enterprise-enrollment-intentions-learner-status")

    assert unshadowed.startswith("/enterprise/default-enrollments/api/v1/default-enterprise-enrollment-intentions/")
    canonical = learner_client.get(learner_status_url(), params)
    aliased = learner_client.get(unshadowed, params)
    assert aliased.status_code == canonical.status_code == 200
    assert aliased.json() == canonical.json()
    assert aliased.json()["metadata"]["total_needs_enrollment"]["enrollable"] == 1


def test_unshadowed_path_refuses_strangers_like_the_canonical_one(client, customer):
    unshadowed = reverse("default_enrollments:unshadowed:default-enterprise-enrollment-intentions-learner-status")
    response = client.get(unshadowed, {"enterprise_customer_uuid": str(customer.uuid)})
    assert response.status_code == 401
