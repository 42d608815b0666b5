"""
The learner-status action: edx-enterprise's JSON, grouped by the same decision table realization uses.

The catalog is a real HTTP server on 127.0.0.1; LMS enrollments are the reference backend's rows.
"""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from default_enrollments import api
from tests.catalog_server import course_run
from tests.factories import (
    CourseEnrollmentFactory,
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCourseEnrollmentFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    UserFactory,
)
from tests.rest_api.conftest import learner_status_url, logged_in

pytestmark = pytest.mark.django_db

INTENTION_KEYS = {
    "uuid", "content_key", "enterprise_customer", "course_key", "course_run_key", "is_course_run_enrollable",
    "best_mode_for_course_run", "applicable_enterprise_catalog_uuids", "course_run_normalized_metadata",
    "created", "modified", "has_existing_enrollment", "is_existing_enrollment_active",
    "is_existing_enrollment_audit", "reason",
}
RUN = "course-v1:edX+DemoX+2030"


def status_of(client, customer, **params):
    response = client.get(learner_status_url(), {"enterprise_customer_uuid": str(customer.uuid), **params})
    assert response.status_code == 200, response.content
    return response.json()


def groups(body) -> dict[str, list[str]]:
    """content_key lists per group, the way a reader of the response sees them."""
    statuses = body["enrollment_statuses"]
    return {
        "enrollable": [i["content_key"] for i in statuses["needs_enrollment"]["enrollable"]],
        "not_enrollable": [i["content_key"] for i in statuses["needs_enrollment"]["not_enrollable"]],
        "already_enrolled": [i["content_key"] for i in statuses["already_enrolled"]],
    }


def only_intention(body) -> dict:
    statuses = body["enrollment_statuses"]
    everything = statuses["needs_enrollment"]["enrollable"] + statuses["needs_enrollment"]["not_enrollable"]
    everything += statuses["already_enrolled"]
    assert len(everything) == 1
    return everything[0]


@pytest.fixture
def demo_course(catalog_server, customer):
    """edX+DemoX with one published, enrollable run offering audit and verified, in the customer's catalog."""
    catalog_server.add_course("edX+DemoX", runs=[RUN])
    catalog_uuid = catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    return intention, catalog_uuid


def test_response_has_edx_enterprise_shape(learner_client, learner, customer, demo_course):
    intention, catalog_uuid = demo_course

    body = status_of(learner_client, customer)

    assert set(body) == {
        "lms_user_id", "user_email", "enterprise_customer_uuid", "enrollment_statuses", "metadata",
        "catalog_unavailable",
    }
    assert body["lms_user_id"] == learner.id
    assert body["user_email"] == learner.email
    assert body["enterprise_customer_uuid"] == str(customer.uuid)
    assert body["catalog_unavailable"] is False
    assert body["metadata"] == {
        "total_default_enterprise_enrollment_intentions": 1,
        "total_needs_enrollment": {"enrollable": 1, "not_enrollable": 0},
        "total_already_enrolled": 0,
    }
    item = body["enrollment_statuses"]["needs_enrollment"]["enrollable"][0]
    assert set(item) == INTENTION_KEYS
    assert item["uuid"] == str(intention.uuid)
    assert item["enterprise_customer"] == str(customer.uuid)
    assert item["course_key"] == "edX+DemoX"
    assert item["course_run_key"] == RUN
    assert item["is_course_run_enrollable"] is True
    assert item["best_mode_for_course_run"] == "verified"
    assert item["applicable_enterprise_catalog_uuids"] == [catalog_uuid]
    assert item["course_run_normalized_metadata"]["content_price"] == 49.0
    assert item["created"].startswith(intention.created.date().isoformat())
    assert item["modified"].startswith(intention.modified.date().isoformat())
    assert item["has_existing_enrollment"] is False
    assert item["is_existing_enrollment_active"] is None
    assert item["is_existing_enrollment_audit"] is None
    assert item["reason"] is None


def test_active_verified_enrollment_is_already_enrolled(learner_client, learner, customer, demo_course):
    CourseEnrollmentFactory(user=learner, course_id=RUN, mode="verified", is_active=True)

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["already_enrolled"] == ["edX+DemoX"]
    assert (item["has_existing_enrollment"], item["is_existing_enrollment_active"]) == (True, True)
    assert item["is_existing_enrollment_audit"] is False


def test_learner_who_unenrolled_from_verified_is_not_enrollable(learner_client, learner, customer, demo_course):
    CourseEnrollmentFactory(user=learner, course_id=RUN, mode="verified", is_active=False)
    EnterpriseCourseEnrollmentFactory(
        enterprise_customer_user=EnterpriseCustomerUserFactory._meta.model.objects.get(user_id=learner.id),
        course_id=RUN,
        unenrolled=True,
    )

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["not_enrollable"] == ["edX+DemoX"]
    assert item["reason"] == "unenrolled"
    assert item["is_existing_enrollment_active"] is False


def test_inactive_verified_enrollment_without_unenrolled_flag_is_enrollable(
    learner_client, learner, customer, demo_course
):
    CourseEnrollmentFactory(user=learner, course_id=RUN, mode="verified", is_active=False)

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["enrollable"] == ["edX+DemoX"]
    assert (item["has_existing_enrollment"], item["is_existing_enrollment_active"]) == (True, False)


def test_closed_run_is_not_enrollable(learner_client, customer, catalog_server):
    catalog_server.add_course("edX+Closed", runs=[course_run("course-v1:edX+Closed+2020", is_enrollable=False)])
    catalog_server.add_catalog(customer.uuid, ["edX+Closed"])
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Closed")

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["not_enrollable"] == ["edX+Closed"]
    assert item["is_course_run_enrollable"] is False
    assert item["reason"] == "not_enrollable"


def test_audit_learner_with_paid_mode_and_catalog_is_enrollable_for_upgrade(
    learner_client, learner, customer, demo_course
):
    CourseEnrollmentFactory(user=learner, course_id=RUN, mode="audit", is_active=True)

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["enrollable"] == ["edX+DemoX"]
    assert item["is_existing_enrollment_audit"] is True
    assert item["best_mode_for_course_run"] == "verified"


def test_audit_learner_without_catalog_is_not_enrollable(learner_client, learner, customer, catalog_server):
    catalog_server.add_course("edX+DemoX", runs=[RUN])
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    CourseEnrollmentFactory(user=learner, course_id=RUN, mode="audit", is_active=True)

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["not_enrollable"] == ["edX+DemoX"]
    assert item["reason"] == "not_eligible"
    assert item["applicable_enterprise_catalog_uuids"] == []


def test_audit_learner_in_audit_only_run_is_already_enrolled(learner_client, learner, customer, catalog_server):
    catalog_server.add_course("edX+Free", runs=[course_run("course-v1:edX+Free+2030", seats=["audit"])])
    catalog_server.add_catalog(customer.uuid, ["edX+Free"])
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Free")
    CourseEnrollmentFactory(user=learner, course_id="course-v1:edX+Free+2030", mode="audit", is_active=True)

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["already_enrolled"] == ["edX+Free"]
    assert item["best_mode_for_course_run"] == "audit"
    assert item["is_existing_enrollment_audit"] is True


def test_reason_message_is_worded_as_the_validate_command_words_it(learner, customer, catalog_server):
    catalog_server.add_course("edX+Closed", runs=[course_run("course-v1:edX+Closed+2020", is_enrollable=False)])
    catalog_server.add_catalog(customer.uuid, ["edX+Closed"])
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Closed")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("default_enrollments_validate_intentions", "--format", "json", stdout=out)
    (check,) = json.loads(out.getvalue())

    (item,) = api.get_learner_status(learner, customer.uuid).not_enrollable

    assert item.reason_message == check["message"]
    assert "course-v1:edX+Closed+2020 is not open for enrollment" in item.reason_message


def test_content_in_no_catalog_of_the_customer_is_not_enrollable(learner_client, customer, catalog_server):
    catalog_server.add_course("edX+DemoX", runs=[RUN])
    catalog_server.add_catalog(EnterpriseCustomerFactory().uuid, ["edX+DemoX"])  # another customer's catalog
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")

    item = only_intention(body := status_of(learner_client, customer))

    assert groups(body)["not_enrollable"] == ["edX+DemoX"]
    assert item["reason"] == "not_eligible"


def test_downgrade_to_audit_is_visible_immediately(learner_client, learner, customer, demo_course):
    """Modes are read live: a license revocation that downgrades the LMS enrollment shows on the next call."""
    enrollment = CourseEnrollmentFactory(user=learner, course_id=RUN, mode="verified", is_active=True)
    assert groups(status_of(learner_client, customer))["already_enrolled"] == ["edX+DemoX"]

    enrollment.mode = "audit"
    enrollment.save()

    item = only_intention(body := status_of(learner_client, customer))
    assert groups(body)["enrollable"] == ["edX+DemoX"]
    assert item["is_existing_enrollment_audit"] is True


def test_unknown_content_and_soft_deleted_intentions(learner_client, customer, demo_course):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Vanished")
    removed = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Removed")
    removed.delete()  # soft delete

    body = status_of(learner_client, customer)

    assert groups(body) == {"enrollable": ["edX+DemoX"], "not_enrollable": ["edX+Vanished"], "already_enrolled": []}
    vanished = body["enrollment_statuses"]["needs_enrollment"]["not_enrollable"][0]
    assert vanished["reason"] == "unknown_content"
    assert vanished["course_run_key"] is None
    assert body["metadata"]["total_default_enterprise_enrollment_intentions"] == 2


def test_groups_are_ordered_by_content_key(learner_client, customer, catalog_server):
    for key in ["edX+Zeta", "edX+Alpha", "edX+Mid"]:
        catalog_server.add_course(key)
        DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=key)
    catalog_server.add_catalog(customer.uuid, ["edX+Zeta", "edX+Alpha", "edX+Mid"])

    assert groups(status_of(learner_client, customer))["enrollable"] == ["edX+Alpha", "edX+Mid", "edX+Zeta"]


def test_learner_status_writes_nothing(learner_client, learner, customer, demo_course):
    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415

    status_of(learner_client, customer)

    assert not CourseEnrollment.objects.filter(user=learner).exists()


def test_catalog_down_reports_intentions_not_enrollable_and_says_so(learner_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    catalog_server.fail_with(503)

    body = status_of(learner_client, customer)

    assert body["catalog_unavailable"] is True
    assert groups(body) == {"enrollable": [], "not_enrollable": ["edX+DemoX"], "already_enrolled": []}
    assert body["enrollment_statuses"]["needs_enrollment"]["not_enrollable"][0]["reason"] == "catalog_unavailable"


def test_catalog_refusing_connections_is_not_a_server_error(learner_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    catalog_server.go_down()

    assert status_of(learner_client, customer)["catalog_unavailable"] is True


def test_catalog_garbage_is_not_a_server_error(learner_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    catalog_server.answer_garbage("shape")

    assert status_of(learner_client, customer)["catalog_unavailable"] is True


def test_membership_question_failing_after_cached_documents_is_not_a_server_error(
    learner_client, learner, customer, demo_course, catalog_server
):
    status_of(learner_client, customer)  # documents, membership and catalog lists now cached
    from django.core.cache import cache  # noqa: PLC0415

    for key in list(getattr(cache, "_cache", {})):
        if ":member:" in key or ":catalogs:" in key:  # the catalog lists answer membership too
            cache.delete(key.split(":", 2)[-1])
    catalog_server.fail_with(503)

    body = status_of(learner_client, customer)

    assert body["catalog_unavailable"] is True
    assert groups(body) == {"enrollable": [], "not_enrollable": ["edX+DemoX"], "already_enrolled": []}
    item = body["enrollment_statuses"]["needs_enrollment"]["not_enrollable"][0]
    assert item["reason"] == "catalog_unavailable"
    assert item["course_run_key"] == RUN  # the cached resolution is still shown


def _customer_with_intentions(catalog_server, count: int):
    customer = EnterpriseCustomerFactory()
    keys = [f"Org{count}+Course{n:02d}" for n in range(count)]
    for key in keys:
        catalog_server.add_course(key)
        DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=key)
    catalog_server.add_catalog(customer.uuid, keys[: count // 2 + 1])
    catalog_server.add_catalog(customer.uuid, keys[count // 2:])
    learner = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=learner.id)
    # A third not enrolled, a third in audit (upgrade), a third verified: the single intention is one that
    # needs the eligibility question, so 1 and 30 ask the same questions.
    for n, key in enumerate(keys):
        org, course = key.split("+")
        run = f"course-v1:{org}+{course}+1T2030"
        if n % 3 == 1:
            CourseEnrollmentFactory(user=learner, course_id=run, mode="audit")
        elif n % 3 == 2:
            CourseEnrollmentFactory(user=learner, course_id=run, mode="verified")
    return customer, learner


def _cost(catalog_server, count: int) -> tuple[int, int, dict]:
    customer, learner = _customer_with_intentions(catalog_server, count)
    client = logged_in(learner)
    catalog_server.reset_counts()
    with CaptureQueriesContext(connection) as queries:
        body = status_of(client, customer)
    assert body["metadata"]["total_default_enterprise_enrollment_intentions"] == count
    return len(queries), catalog_server.catalog_requests, body


def test_cost_does_not_grow_with_the_number_of_intentions(catalog_server):
    queries_1, requests_1, _ = _cost(catalog_server, 1)
    queries_30, requests_30, body_30 = _cost(catalog_server, 30)

    assert queries_30 == queries_1
    # One intention: its document and its catalogs. Thirty: one batch of documents, one question naming the
    # customer's catalogs that hold any of the runs, and one per such catalog (two), whatever the intentions.
    assert (requests_1, requests_30) == (2, 4)
    assert body_30["metadata"]["total_already_enrolled"] == 10
    assert body_30["metadata"]["total_needs_enrollment"]["enrollable"] == 20


def test_cold_status_of_one_intention_costs_the_catalog_two_requests(catalog_server):
    customer, learner = _customer_with_intentions(catalog_server, 1)
    client = logged_in(learner)
    catalog_server.reset_counts()

    body = status_of(client, customer)

    item = only_intention(body)
    assert item["is_course_run_enrollable"] is True and len(item["applicable_enterprise_catalog_uuids"]) == 2
    assert body["metadata"]["total_needs_enrollment"]["enrollable"] == 1
    # The run's catalog list also answers whether any catalog of the customer holds it: no third request.
    asked = sorted(request.path.rsplit("/", 2)[-2] for request in catalog_server.requests
                   if not request.is_token_request)
    assert asked == ["contains_content_items", "content-metadata"]
    assert catalog_server.catalog_connections == 1, "both came over one kept-alive connection"


def test_warm_cache_answers_without_catalog_requests(catalog_server):
    customer, learner = _customer_with_intentions(catalog_server, 5)
    client = logged_in(learner)
    status_of(client, customer)
    catalog_server.reset_counts()

    status_of(client, customer)

    assert catalog_server.catalog_requests == 0
