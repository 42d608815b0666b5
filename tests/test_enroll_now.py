"""
"Enroll linked learners now": the admin action and the overview's button queue, for a customer, the backfill the
``realize_default_enrollments`` command runs; a real Celery worker (Redis on 127.0.0.1, as tests/test_celery.py)
runs it and stores its progress in ``BackfillRun``.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from default_enrollments.admin.actions import STALE_AFTER, start_backfill_run
from default_enrollments.admin.overview import ENROLL_NOW_URL_NAME, overview_url
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import BackfillRun, DefaultEnterpriseEnrollmentRealization
from tests.factories import (
    EnterpriseCourseEnrollmentFactory,
    EnterpriseCustomerFactory,
    StaffUserFactory,
    UserFactory,
)
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments, nothing_written
from tests.test_celery import wait_for, worker  # noqa: F401 (the real worker fixture)

CHANGELIST = "admin:default_enrollments_defaultenterpriseenrollmentintention_changelist"


def enroll_now_url(customer) -> str:
    return reverse(f"admin:{ENROLL_NOW_URL_NAME}", args=[str(customer.pk)])


def run_ended(customer, count: int = 1):
    runs = BackfillRun.objects.filter(enterprise_customer_uuid=customer.pk)
    return lambda: runs.count() == count and not runs.filter(running_for__isnull=False).exists()


@pytest.fixture
def customer_world(catalog_server):
    """A customer with one course intention, five linked learners and one who left the course after enrollment."""
    world = World(catalog_server)
    world.demo_course()
    intention = world.intention(DEMO_COURSE)
    learners = [world.learner() for _ in range(5)]
    leaver = world.learner()
    leaver_link = world.customer.enterprise_customer_users.get(user_id=leaver.pk)
    CourseEnrollment.objects.create(user=leaver, course_id=DEMO_RUN, mode="verified", is_active=False)
    EnterpriseCourseEnrollmentFactory(enterprise_customer_user=leaver_link, course_id=DEMO_RUN, unenrolled=True)
    return world, intention, learners, leaver


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_action_enrolls_every_linked_learner_once_and_a_second_click_changes_nothing(
    db_vendor, customer_world, client, request
):
    if db_vendor == "sqlite":
        # The shared in-memory test database locks whole tables, and SQLITE_LOCKED is not retried: the worker's
        # progress writes fail at random while this thread polls. The MariaDB and PostgreSQL legs run it.
        pytest.skip("a worker thread and the test share SQLite's in-memory database only with table locks")
    request.getfixturevalue("worker")
    world, intention, learners, leaver = customer_world
    bystander = World(world.server)  # another customer's learner: not this customer's run
    bystander.intention(DEMO_COURSE)
    outsider = bystander.learner()
    staff = StaffUserFactory()
    client.force_login(staff)

    response = client.post(
        reverse(CHANGELIST), {"action": "enroll_linked_learners_now", "_selected_action": [str(intention.pk)]}
    )

    assert response.status_code == 302
    assert wait_for(run_ended(world.customer))
    run = BackfillRun.objects.get(enterprise_customer_uuid=world.customer.pk)
    assert (run.status, run.started_by_id) == (BackfillRun.Status.SUCCEEDED, staff.pk)
    assert (run.learners_total, run.learners_done) == (6, 6)
    assert run.outcomes == {"enrolled": 5, "skipped": 1} and run.reasons == {"unenrolled": 1}
    for learner in learners:
        assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert lms_enrollments(leaver) == {DEMO_RUN: ("verified", False)}, "who left stays out"
    assert nothing_written(outsider)
    written = set(DefaultEnterpriseEnrollmentRealization.objects.values_list("pk", "realized_enrollment_id"))
    assert len(written) == 5

    client.post(enroll_now_url(world.customer))  # the overview's button, a second time

    assert wait_for(run_ended(world.customer, count=2))
    second = BackfillRun.objects.filter(enterprise_customer_uuid=world.customer.pk).latest("id")
    assert second.outcomes == {"already_enrolled": 5, "skipped": 1}
    assert set(DefaultEnterpriseEnrollmentRealization.objects.values_list("pk", "realized_enrollment_id")) == written
    assert CourseEnrollment.objects.filter(course_id=DEMO_RUN).count() == 6
    assert lms_enrollments(leaver) == {DEMO_RUN: ("verified", False)}


@pytest.mark.django_db
def test_at_most_one_run_per_customer_is_active(client):
    customer, other = EnterpriseCustomerFactory(), EnterpriseCustomerFactory()
    staff = StaffUserFactory()
    client.force_login(staff)

    first = start_backfill_run(customer.pk, staff.pk)
    response = client.post(enroll_now_url(customer), follow=True)

    assert first is not None
    assert "already under way" in response.content.decode()
    assert BackfillRun.objects.filter(enterprise_customer_uuid=customer.pk).count() == 1
    assert start_backfill_run(other.pk, staff.pk) is not None, "another customer is not held up"


@pytest.mark.django_db
def test_a_run_that_stopped_moving_does_not_block_the_customer_forever():
    customer = EnterpriseCustomerFactory()
    stuck = start_backfill_run(customer.pk, None)
    BackfillRun.objects.filter(pk=stuck.pk).update(
        status=BackfillRun.Status.RUNNING, modified=timezone.now() - STALE_AFTER - timedelta(minutes=1)
    )

    fresh = start_backfill_run(customer.pk, None)

    assert fresh is not None
    stuck.refresh_from_db()
    assert (stuck.status, stuck.running_for) == (BackfillRun.Status.FAILED, None)


@pytest.mark.django_db
def test_the_button_needs_a_post_and_the_change_permission(client):
    customer = EnterpriseCustomerFactory()
    client.force_login(StaffUserFactory())
    assert client.get(enroll_now_url(customer)).status_code == 405

    client.force_login(UserFactory(is_staff=True))
    assert client.post(enroll_now_url(customer)).status_code == 403
    assert not BackfillRun.objects.exists()


@pytest.mark.django_db
def test_the_overview_shows_progress_who_started_and_the_last_runs_skip_reasons(client, catalog_server):
    customer = EnterpriseCustomerFactory()
    staff = StaffUserFactory(username="compliance-officer")
    BackfillRun.objects.create(
        enterprise_customer_uuid=customer.pk, started_by_id=staff.pk, status=BackfillRun.Status.SUCCEEDED,
        learners_total=10, learners_done=10, outcomes={"enrolled": 7, "skipped": 2, "failed": 1},
        reasons={"unenrolled": 1, "not_enrollable": 1}, finished_at=timezone.now(),
    )
    active = start_backfill_run(customer.pk, staff.pk)
    BackfillRun.objects.filter(pk=active.pk).update(status=BackfillRun.Status.RUNNING, learners_total=40,
                                                    learners_done=15)
    client.force_login(staff)

    html = client.get(overview_url(customer.pk)).content.decode()

    assert "15 of 40 learners done" in html
    assert 'id="enroll-now"' not in html, "no second button while a run is active"
    assert "compliance-officer" in html
    assert "<li>unenrolled: 1</li>" in html and "<li>not_enrollable: 1</li>" in html
    assert "<li>failed: 1</li>" in html


@pytest.mark.django_db
def test_a_run_while_the_catalog_is_down_defers_the_learners_and_says_so(catalog_server):
    from default_enrollments import backfill  # noqa: PLC0415

    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    learners = [world.learner() for _ in range(3)]
    run = start_backfill_run(world.customer.pk, None)
    catalog_server.stop()

    backfill.realize_customer(run.pk)

    run.refresh_from_db()
    assert (run.status, run.running_for, run.learners_done) == (BackfillRun.Status.SUCCEEDED, None, 3)
    assert run.outcomes.get("deferred") == 2, run.outcomes
    assert all(nothing_written(learner) for learner in learners)
