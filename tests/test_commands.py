"""The operator commands, against the loopback catalog: what an operator sees, and what ends up in the database."""
from __future__ import annotations

import json
from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import CommandError, call_command

from default_enrollments.catalog import get_catalog
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
)
from tests.catalog_server import course_run
from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCustomerFactory,
)

pytestmark = pytest.mark.django_db

DEMO_RUN = "course-v1:edX+DemoX+Demo_Course"
CLOSED_RUN = "course-v1:edX+Closed+1T2020"


def validate(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("validate_default_enrollment_intentions", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def customer():
    return EnterpriseCustomerFactory()


@pytest.fixture
def catalog(catalog_server, customer):
    """Courses of every kind an operator may name, and a catalog for ``customer`` holding three of them."""
    catalog_server.add_course("edX+DemoX", runs=["course-v1:edX+DemoX+1T2020", DEMO_RUN])
    catalog_server.add_course("edX+Closed", runs=[course_run(CLOSED_RUN, is_enrollable=False, availability="Archived")])
    catalog_server.add_course("edX+NoRun", runs=["course-v1:edX+NoRun+1T2030"], advertised=None)
    catalog_server.add_course("edX+Elsewhere")  # exists, but in none of the customer's catalogs
    catalog_server.add_catalog(customer.uuid, ["edX+DemoX", "edX+Closed", "edX+NoRun"])
    return catalog_server


def intentions(customer, *content_keys):
    return [DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=key)
            for key in content_keys]


# --- validate_default_enrollment_intentions ---------------------------------------------------------


def test_valid_intentions_pass_and_exit_zero(catalog, customer):
    intentions(customer, "edX+DemoX", DEMO_RUN)

    output, error = validate()

    assert error is None
    assert "2 of 2 intentions OK" in output
    assert DEMO_RUN in output


def test_failing_intentions_are_listed_with_reasons_and_exit_non_zero(catalog, customer):
    intentions(customer, "edX+DemoX", "edX+Unknown", CLOSED_RUN, "edX+NoRun", "edX+Elsewhere",
               "course-v1:edX+DemoX+NoSuchRun")

    output, error = validate()

    rows = {line.split()[2]: line for line in output.splitlines()[1:] if line.startswith(("ok", "FAIL"))}
    assert rows["edX+DemoX"].startswith("ok")
    assert "unknown_content" in rows["edX+Unknown"]
    assert "not_enrollable" in rows[CLOSED_RUN]
    assert "no_advertised_run" in rows["edX+NoRun"]
    assert "not_eligible" in rows["edX+Elsewhere"]
    assert "run_not_in_course" in rows["course-v1:edX+DemoX+NoSuchRun"]
    assert error is not None
    message = str(error)
    assert message.startswith("5 of 6 default enrollment intentions fail")
    for key in ("edX+Unknown", CLOSED_RUN, "edX+NoRun", "edX+Elsewhere", "course-v1:edX+DemoX+NoSuchRun"):
        assert key in message
    assert "edX+DemoX (" not in message


def test_json_format_parses_and_names_every_field(catalog, customer):
    good, closed = intentions(customer, "edX+DemoX", CLOSED_RUN)

    output, error = validate("--format", "json")

    checks = {check["content_key"]: check for check in json.loads(output)}
    assert checks["edX+DemoX"] == {
        "uuid": str(good.uuid),
        "customer": str(customer.uuid),
        "content_key": "edX+DemoX",
        "content_type": "course",
        "course_run_key": DEMO_RUN,
        "ok": True,
        "reason": None,
        "message": checks["edX+DemoX"]["message"],
    }
    assert checks[CLOSED_RUN]["ok"] is False
    assert checks[CLOSED_RUN]["reason"] == "not_enrollable"
    assert checks[CLOSED_RUN]["uuid"] == str(closed.uuid)
    assert checks[CLOSED_RUN]["content_type"] == "course_run"
    assert error is not None and "1 of 2" in str(error)


def test_catalog_down_fails_every_intention_as_unreachable(catalog, customer):
    intentions(customer, "edX+DemoX", DEMO_RUN)
    catalog.go_down()

    output, error = validate("--format", "json")

    checks = json.loads(output)
    assert [check["reason"] for check in checks] == ["catalog_unavailable", "catalog_unavailable"]
    assert error is not None and "2 of 2" in str(error)


def test_catalog_failing_on_membership_is_reported_as_unreachable(catalog, customer):
    intentions(customer, "edX+DemoX")
    get_catalog().get_course_documents(["edX+DemoX"])  # the course document is cached, membership is not
    catalog.fail_with(503)

    output, error = validate("--format", "json")

    (check,) = json.loads(output)
    assert check["reason"] == "catalog_unavailable"
    assert check["course_run_key"] == DEMO_RUN
    assert "which of customer" in check["message"]
    assert error is not None


def test_membership_is_one_request_per_customer(catalog, customer):
    intentions(customer, "edX+DemoX", DEMO_RUN, CLOSED_RUN, "edX+NoRun")
    catalog.reset_counts()

    validate()

    assert len(catalog.requests_to("filter_content_items")) == 1
    assert len(catalog.requests_to("content-metadata")) == 1


def test_enterprise_customer_limits_the_scope(catalog, customer):
    intentions(customer, "edX+DemoX")
    other = EnterpriseCustomerFactory()
    intentions(other, "edX+Unknown")

    output, error = validate("--enterprise-customer", str(customer.uuid), "--format", "json")

    assert error is None
    assert [check["content_key"] for check in json.loads(output)] == ["edX+DemoX"]
    _, error = validate("--enterprise-customer", str(other.uuid))
    assert error is not None and "edX+Unknown" in str(error)


def test_removed_intentions_are_not_validated(catalog, customer):
    (removed,) = intentions(customer, "edX+Unknown")
    removed.delete()  # soft delete

    output, error = validate()

    assert error is None
    assert "No live default enrollment intentions" in output


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234"])
def test_malformed_customer_uuid_is_a_clear_error(bad):
    with pytest.raises(CommandError, match="is not a UUID"):
        call_command("validate_default_enrollment_intentions", "--enterprise-customer", bad, stdout=StringIO())


def test_unknown_customer_uuid_is_a_clear_error():
    with pytest.raises(CommandError, match="no enterprise customer"):
        call_command(
            "validate_default_enrollment_intentions", "--enterprise-customer", str(uuid4()), stdout=StringIO()
        )


def _row_counts() -> tuple[int, int, int]:
    return (
        CourseEnrollment.objects.count(),
        get_enterprise_course_enrollment_model()._default_manager.count(),
        DefaultEnterpriseEnrollmentRealization.objects.count(),
    )
