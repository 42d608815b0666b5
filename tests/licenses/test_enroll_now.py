"""
"Enroll linked learners now" under the subscription-license policy: licensed learners are enrolled, the others
are counted by reason on the customer overview, and a license-manager outage defers the customer's learners.
"""
import pytest

from default_enrollments import backfill
from default_enrollments.admin.actions import start_backfill_run
from default_enrollments.admin.overview import overview_url
from default_enrollments.models import BackfillRun
from tests.factories import StaffUserFactory
from tests.learners import DEMO_RUN, lms_enrollments, nothing_written

pytestmark = pytest.mark.django_db


def test_the_overview_counts_each_license_reason_of_the_last_run(world, license_manager, client):
    world.demo_course()
    world.intention()
    licensed, waiting, unlicensed = world.learner(), world.learner(), world.learner()
    license_manager.add_license(licensed.email, world.customer.uuid, world.catalog_uuid)
    license_manager.add_license(waiting.email, world.customer.uuid, world.catalog_uuid, status="assigned")
    run = start_backfill_run(world.customer.pk, None)

    backfill.realize_customer(run.pk)

    assert lms_enrollments(licensed) == {DEMO_RUN: ("verified", True)}
    assert nothing_written(waiting) and nothing_written(unlicensed)
    client.force_login(StaffUserFactory())
    html = client.get(overview_url(world.customer.pk)).content.decode()
    assert "<li>license_not_activated: 1</li>" in html and "<li>no_license: 1</li>" in html


def test_a_run_while_license_manager_is_down_defers_the_learners(world, license_manager):
    world.demo_course()
    world.intention()
    learners = [world.learner() for _ in range(3)]
    for learner in learners:
        license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)
    run = start_backfill_run(world.customer.pk, None)
    license_manager.go_down()

    backfill.realize_customer(run.pk)

    run.refresh_from_db()
    assert run.status == BackfillRun.Status.SUCCEEDED
    assert run.reasons == {"license_manager_unavailable": 1} and run.outcomes.get("deferred") == 2, run.outcomes
    assert all(nothing_written(learner) for learner in learners)
