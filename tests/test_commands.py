"""The operator commands, against the loopback catalog: what an operator sees, and what ends up in the database."""
from __future__ import annotations

import base64
import json
import logging
from io import StringIO
from uuid import uuid4

import pytest
from celery import current_app
from django.core.management import CommandError, call_command

from default_enrollments.catalog import get_catalog
from default_enrollments.conf import app_settings
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
)
from tests.catalog_server import course_run
from tests.factories import (
    CourseEnrollmentFactory,
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCourseEnrollmentFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
)
from tests.learners import outcome_counts

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


def test_both_names_of_the_validate_command_give_the_same_report(catalog, customer):
    intentions(customer, "edX+DemoX", "edX+GoneX")
    reports = []
    for name in ("default_enrollments_validate_intentions", "validate_default_enrollment_intentions"):
        out = StringIO()
        with pytest.raises(CommandError, match="1 of 2 default enrollment intentions fail"):
            call_command(name, "--format", "json", stdout=out, stderr=StringIO())
        reports.append(json.loads(out.getvalue()))

    assert reports[0] == reports[1]
    assert [check["ok"] for check in reports[0]] == [True, False]


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


# --- realize_default_enrollments ----------------------------------------------------------------------


def backfill(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("realize_default_enrollments", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def linked_learners(customer):
    return [EnterpriseCustomerUserFactory(enterprise_customer=customer) for _ in range(3)]


@pytest.fixture
def backfill_catalog(catalog, customer):
    """The customer wants every learner in edX+DemoX (advertised run) and a second, run-keyed course."""
    catalog.add_course("edX+Second", runs=["course-v1:edX+Second+2T2030"])
    catalog.add_catalog(customer.uuid, ["edX+Second"])
    intentions(customer, "edX+DemoX", "course-v1:edX+Second+2T2030")
    return catalog


def test_backfill_enrolls_every_linked_learner_in_every_intention(backfill_catalog, customer, linked_learners):
    output, _ = backfill()

    assert _row_counts() == (6, 6, 6)
    assert outcome_counts(output) == {"enrolled": 6, "upgraded": 0, "already_enrolled": 0, "skipped": 0, "failed": 0}
    assert "3 learner(s) in 1 chunk(s)" in output
    enrollment = CourseEnrollment.objects.get(user_id=linked_learners[0].user_id, course_id=DEMO_RUN)
    assert (enrollment.mode, enrollment.is_active) == ("verified", True)


def test_dry_run_prints_what_would_happen_and_writes_nothing(backfill_catalog, customer, linked_learners):
    before = _row_counts()

    output, _ = backfill("--dry-run")

    assert _row_counts() == before == (0, 0, 0)
    assert output.count("would enroll") == 6
    assert f"[dry run] user {linked_learners[0].user_id} customer {customer.uuid}: would enroll edX+DemoX" in output
    assert outcome_counts(output)["enrolled"] == 6
    assert output.startswith("[dry run]") and "Dry run: 3 learner(s)" in output


def test_second_run_writes_nothing(backfill_catalog, customer, linked_learners):
    backfill()
    after_first = _row_counts()
    history_after_first = DefaultEnterpriseEnrollmentRealization.history.count()

    output, _ = backfill()

    assert _row_counts() == after_first
    assert DefaultEnterpriseEnrollmentRealization.history.count() == history_after_first
    assert outcome_counts(output) == {"enrolled": 0, "upgraded": 0, "already_enrolled": 6, "skipped": 0, "failed": 0}


def test_learner_who_unenrolled_is_skipped(backfill_catalog, customer, linked_learners):
    leaver = linked_learners[0]
    CourseEnrollmentFactory(user_id=leaver.user_id, course_id=DEMO_RUN, mode="verified", is_active=False)
    EnterpriseCourseEnrollmentFactory(enterprise_customer_user=leaver, course_id=DEMO_RUN, unenrolled=True)

    output, _ = backfill()

    left = CourseEnrollment.objects.get(user_id=leaver.user_id, course_id=DEMO_RUN)
    assert left.is_active is False
    assert not DefaultEnterpriseEnrollmentRealization.objects.filter(
        realized_enrollment__enterprise_customer_user=leaver, realized_enrollment__course_id=DEMO_RUN
    ).exists()
    assert outcome_counts(output)["skipped"] == 1
    assert outcome_counts(output)["enrolled"] == 5
    assert "reasons: unenrolled 1" in output


def test_enterprise_customer_limits_the_backfill(backfill_catalog, customer, linked_learners):
    other = EnterpriseCustomerFactory()
    backfill_catalog.add_catalog(other.uuid, ["edX+DemoX"])
    intentions(other, "edX+DemoX")
    outsider = EnterpriseCustomerUserFactory(enterprise_customer=other)

    output, _ = backfill("--enterprise-customer", str(other.uuid))

    assert list(CourseEnrollment.objects.values_list("user_id", "course_id")) == [(outsider.user_id, DEMO_RUN)]
    assert outcome_counts(output)["enrolled"] == 1


def test_unlinked_inactive_and_intentionless_learners_are_left_alone(backfill_catalog, customer):
    EnterpriseCustomerUserFactory(enterprise_customer=customer, linked=False)
    EnterpriseCustomerUserFactory(enterprise_customer=customer, active=False)
    EnterpriseCustomerUserFactory(enterprise_customer=EnterpriseCustomerFactory(active=False))
    EnterpriseCustomerUserFactory()  # a customer without intentions

    output, _ = backfill()

    assert _row_counts() == (0, 0, 0)
    assert "0 learner(s) in 0 chunk(s)" in output


def test_batches_and_resume_after_a_primary_key(backfill_catalog, customer):
    learners = [EnterpriseCustomerUserFactory(enterprise_customer=customer) for _ in range(5)]

    output, _ = backfill("--batch-size", "2", "--start-after", str(learners[1].pk))

    assert "3 learner(s) in 2 chunk(s)" in output
    assert f"last customer-user pk {learners[-1].pk}" in output
    enrolled_users = set(CourseEnrollment.objects.values_list("user_id", flat=True))
    assert enrolled_users == {learner.user_id for learner in learners[2:]}


def test_catalog_is_asked_once_per_customer_not_once_per_learner(backfill_catalog, customer):
    for _ in range(12):
        EnterpriseCustomerUserFactory(enterprise_customer=customer)
    backfill_catalog.reset_counts()

    backfill("--batch-size", "5")

    assert len(backfill_catalog.requests_to("content-metadata")) == 1
    assert len(backfill_catalog.requests_to("filter_content_items")) == 1


def test_catalog_outage_writes_nothing_defers_the_customer_and_a_later_run_catches_up(
    backfill_catalog, customer, linked_learners
):
    backfill_catalog.go_down()

    output, _ = backfill()

    assert _row_counts() == (0, 0, 0)
    assert outcome_counts(output)["failed"] == 2  # the first learner's two intentions
    assert "reasons: catalog_unavailable 2" in output
    assert f"deferred: 2 learner(s) of customer(s) the catalog could not answer for ({customer.uuid})" in output
    backfill_catalog.come_back()
    output, _ = backfill()
    assert outcome_counts(output)["enrolled"] == 6


def test_every_outcome_is_logged_with_user_customer_intention_run(backfill_catalog, customer, linked_learners, caplog):
    caplog.set_level(logging.INFO, logger="default_enrollments.outcomes")

    backfill()

    lines = [record.getMessage() for record in caplog.records if record.name == "default_enrollments.outcomes"]
    assert len(lines) == 6
    learner = linked_learners[0]
    intention = DefaultEnterpriseEnrollmentIntention.objects.get(enterprise_customer=customer, content_key="edX+DemoX")
    assert any(
        f"user={learner.user_id} customer={customer.uuid} intention={intention.uuid}" in line
        and f"run={DEMO_RUN}" in line and "outcome=enrolled" in line
        for line in lines
    )
    record = next(r for r in caplog.records if r.name == "default_enrollments.outcomes")
    assert record.source == "backfill" and record.outcome == "enrolled"


def test_no_progress_bar_when_output_is_not_a_terminal(backfill_catalog, customer, linked_learners):
    _, errors = backfill()

    assert errors == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "--batch-size must be between 1"),
        (["--start-after", "-3"], "--start-after must be"),
        (["--enterprise-customer", "nope"], "is not a UUID"),
    ],
)
def test_bad_arguments_are_clear_errors_and_write_nothing(backfill_catalog, customer, linked_learners, args, message):
    with pytest.raises(CommandError, match=message):
        backfill(*args)

    assert _row_counts() == (0, 0, 0)


# --- ASYNC: one Celery task per chunk ------------------------------------------------------------------

CELERY_BROKER = "redis://127.0.0.1:6379/13"


@pytest.fixture
def celery_broker():
    """A Celery app on a Redis database of its own; yields a function returning the queued task messages."""
    redis = pytest.importorskip("redis")
    from celery import Celery  # noqa: PLC0415

    client = redis.Redis.from_url(CELERY_BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    client.flushdb()
    app = Celery("default_enrollments_tests", broker=CELERY_BROKER, set_as_current=False)
    app.conf.task_always_eager = False
    previous = current_app._get_current_object()
    app.set_current()

    def queued() -> list[tuple[str, list]]:
        messages = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
        return [
            (message["headers"]["task"], json.loads(base64.b64decode(message["body"]))[0])
            for message in messages
        ]

    try:
        yield queued
    finally:
        previous.set_current()
        client.flushdb()
        client.close()


def test_async_fans_out_one_task_per_chunk_and_each_task_realizes_its_chunk(
    backfill_catalog, customer, celery_broker, settings
):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ASYNC": True}
    learners = [EnterpriseCustomerUserFactory(enterprise_customer=customer) for _ in range(5)]

    output, _ = backfill("--batch-size", "2")

    assert "Queued 3 Celery task(s) for 5 learner(s)" in output
    assert _row_counts() == (0, 0, 0)  # the command itself writes nothing
    queued = celery_broker()
    pks = [learner.pk for learner in learners]
    assert queued == [
        ("default_enrollments.tasks.realize_default_enrollments_for_customer_users", [pks[0:2]]),
        ("default_enrollments.tasks.realize_default_enrollments_for_customer_users", [pks[2:4]]),
        ("default_enrollments.tasks.realize_default_enrollments_for_customer_users", [pks[4:]]),
    ]

    from default_enrollments.tasks import realize_default_enrollments_for_customer_users  # noqa: PLC0415

    for _, (chunk,) in queued:  # what a worker does with each message
        realize_default_enrollments_for_customer_users.apply(args=[chunk]).get()
    assert _row_counts() == (10, 10, 10)
    realize_default_enrollments_for_customer_users.apply(args=[pks[0:2]]).get()  # a redelivered message
    assert _row_counts() == (10, 10, 10)


def test_async_dry_run_stays_in_process(backfill_catalog, customer, linked_learners, celery_broker, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ASYNC": True}

    output, _ = backfill("--dry-run")

    assert celery_broker() == []
    assert output.count("would enroll") == 6
    assert _row_counts() == (0, 0, 0)


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(backfill_catalog, customer, linked_learners):
    out, err = _Terminal(), _Terminal()

    call_command("realize_default_enrollments", stdout=out, stderr=err)

    assert "default enrollments: 100%" in err.getvalue()
    assert "3/3" in err.getvalue()
    assert f"last_pk={linked_learners[-1].pk}" in err.getvalue()
    assert outcome_counts(out.getvalue())["enrolled"] == 6


def test_failing_catalog_is_not_asked_again_for_every_learner(backfill_catalog, customer):
    for _ in range(10):
        EnterpriseCustomerUserFactory(enterprise_customer=customer)
    backfill_catalog.fail_with(503)
    backfill_catalog.reset_counts()

    output, _ = backfill()

    attempts_per_question = 1 + app_settings.CATALOG_RETRIES
    assert len(backfill_catalog.requests_to("content-metadata")) <= 2 * attempts_per_question
    assert "deferred: 9 learner(s)" in output
    assert _row_counts() == (0, 0, 0)


def test_validation_answers_under_a_name_edx_enterprise_does_not_use(catalog, customer):
    """On an LMS, edx-enterprise's command of the same name wins; this one always reaches ours."""
    intentions(customer, "edX+DemoX", CLOSED_RUN)
    out = StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("default_enrollments_validate_intentions", stdout=out, stderr=StringIO())
    assert str(excinfo.value).startswith("1 of 2 default enrollment intentions fail")
    assert CLOSED_RUN in str(excinfo.value)
    assert "not_enrollable" in out.getvalue()
