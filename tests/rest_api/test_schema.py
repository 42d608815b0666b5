"""The OpenAPI schema at api/v1/schema/, and a schemathesis run against it: no input makes a 5xx."""
from __future__ import annotations

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    StaffUserFactory,
)

SCHEMA_PATH = "/enterprise/api/v1/schema/"
INTENTIONS = "/enterprise/api/v1/default-enterprise-enrollment-intentions/"


@pytest.mark.django_db
def test_schema_documents_exactly_this_api_at_its_mounted_paths(client):
    response = client.get(SCHEMA_PATH)

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Default enrollments API"
    assert set(schema["paths"]) == {INTENTIONS, f"{INTENTIONS}{{uuid}}/", f"{INTENTIONS}learner-status/"}
    assert set(schema["paths"][INTENTIONS]) == {"get"}


@pytest.mark.django_db
def test_schema_describes_learner_status_and_errors(client):
    schema = client.get(SCHEMA_PATH).json()
    operation = schema["paths"][f"{INTENTIONS}learner-status/"]["get"]
    components = schema["components"]["schemas"]

    assert {p["name"] for p in operation["parameters"]} == {"enterprise_customer_uuid", "lms_user_id"}
    assert {"200", "400", "401"} <= set(operation["responses"])
    status_fields = components["LearnerStatus"]["properties"]
    assert {"lms_user_id", "user_email", "enterprise_customer_uuid", "enrollment_statuses", "metadata",
            "catalog_unavailable"} == set(status_fields)
    intention_fields = components["IntentionWithEnrollmentState"]["properties"]
    assert {"has_existing_enrollment", "is_existing_enrollment_active", "is_existing_enrollment_audit",
            "course_run_key", "reason"} <= set(intention_fields)
    assert {"sessionAuth", "jwtAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.fixture
def staff_session(live_server, catalog_server):
    """A staff member linked to a customer with intentions; returns the session cookie."""
    customer = EnterpriseCustomerFactory()
    staff = StaffUserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=staff.id)
    catalog_server.add_course("edX+DemoX")
    catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="course-v1:edX+X+1")
    client = Client()
    client.force_login(staff)
    return {"sessionid": client.cookies["sessionid"].value}


def test_no_input_makes_a_server_error(live_server, staff_session):
    """Every operation, with inputs generated from the schema (valid and not), as staff: never a 5xx."""
    api_schema = schemathesis.openapi.from_url(f"{live_server.url}{SCHEMA_PATH}")
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 3

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            response = case.call(base_url=live_server.url, cookies=staff_session, timeout=10)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
            # Not applicable: the staff session cookie is sent on purpose (so generated bad auth is overridden),
            # and a well-formed customer uuid the caller is not linked to is a 400 by contract (edx-enterprise's).
            case.validate_response(response, excluded_checks=[ignored_auth, positive_data_acceptance])

        no_server_error()


@pytest.mark.django_db
def test_schema_is_yaml_when_asked_for(client):
    response = client.get(SCHEMA_PATH, HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")
