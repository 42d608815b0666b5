"""
The writer: a learner's intentions are written in one transaction under one lock, each in its own savepoint.
What the learner and the operator see when one intention fails, when the database gives up the whole
transaction, and when a host's own code wrote the enterprise enrollment first.
"""
import logging
from uuid import uuid4

import pytest
from django.db import IntegrityError, OperationalError, connection

from default_enrollments import api, writer
from default_enrollments.backends.reference import ReferenceEnrollmentBackend
from default_enrollments.data import Outcome, OutcomeStatus, Reason
from default_enrollments.exceptions import EnrollmentError
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
)
from tests.factories import UserFactory
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments, nothing_written, realizations, use_backend

OTHER_RUN = "course-v1:edX+Other+1T2030"

pytestmark = pytest.mark.django_db(transaction=True)  # real transactions: the writer's own, not a test's


class GivingUpEnrollmentBackend(ReferenceEnrollmentBackend):
    """
    The reference backend, except that on the runs in ``give_up_on`` the database ends the whole transaction
    after the write, as MySQL does on a deadlock, and reports it.
    """

    give_up_on: set[str] = set()
    give_up_for: set[int] | None = None  # the learners (user pks) it gives up for; None: every learner

    def enroll(self, user, course_run_key: str, mode: str, **kwargs) -> None:
        super().enroll(user, course_run_key, mode)
        if course_run_key in self.give_up_on and (self.give_up_for is None or user.pk in self.give_up_for):
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
            raise OperationalError("Deadlock found when trying to get lock; try restarting transaction")


class HostWritesEnterpriseEnrollment(ReferenceEnrollmentBackend):
    """An LMS whose own enrollment code also writes the enterprise enrollment (in the same transaction)."""

    def enroll(self, user, course_run_key: str, mode: str, **kwargs) -> None:
        super().enroll(user, course_run_key, mode)
        model = get_enterprise_course_enrollment_model()
        for customer_user in get_enterprise_customer_user_model()._default_manager.filter(user_id=user.pk):
            model._default_manager.get_or_create(enterprise_customer_user=customer_user, course_id=course_run_key)


@pytest.fixture
def world(catalog_server):
    world = World(catalog_server)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    return world


def test_when_the_database_gives_up_the_transaction_every_write_is_reported_failed(world, settings):
    use_backend(settings, f"{__name__}.GivingUpEnrollmentBackend")
    GivingUpEnrollmentBackend.give_up_on = {OTHER_RUN}  # the second write: the first one is undone with it
    learner = world.learner()

    outcomes = api.realize_default_enrollments(learner)

    assert [(o.content_key, o.status) for o in outcomes] == [
        (DEMO_COURSE, OutcomeStatus.FAILED), ("edX+Other", OutcomeStatus.FAILED)
    ]
    assert "rolled back" in outcomes[0].detail
    assert nothing_written(learner)

    GivingUpEnrollmentBackend.give_up_on = set()
    assert {o.status for o in api.realize_default_enrollments(learner)} == {OutcomeStatus.ENROLLED}
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True), OTHER_RUN: ("verified", True)}


def test_an_enterprise_enrollment_the_host_wrote_meanwhile_is_reused(world, settings):
    use_backend(settings, f"{__name__}.HostWritesEnterpriseEnrollment")
    learner = world.learner()

    outcomes = api.realize_default_enrollments(learner)

    assert {o.status for o in outcomes} == {OutcomeStatus.ENROLLED}
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    assert get_enterprise_course_enrollment_model()._default_manager.count() == 2
    assert DefaultEnterpriseEnrollmentRealization.objects.count() == 2


class CollidingEnrollmentBackend(ReferenceEnrollmentBackend):
    """An LMS whose enrollment write hits a unique constraint and leaves nothing behind."""

    def enroll(self, user, course_run_key: str, mode: str, **kwargs) -> None:
        raise IntegrityError("duplicate key value violates unique constraint")


def test_a_collision_that_left_nothing_written_is_a_failure_to_retry(world, settings):
    use_backend(settings, f"{__name__}.CollidingEnrollmentBackend")
    learner = world.learner()

    outcomes = api.realize_default_enrollments(learner)

    assert {(o.status, o.reason) for o in outcomes} == {(OutcomeStatus.FAILED, Reason.WRITE_NOT_CONFIRMED)}
    assert all(o.is_transient for o in outcomes)
    assert nothing_written(learner)

    use_backend(settings, "default_enrollments.backends.reference.ReferenceEnrollmentBackend")
    assert {o.status for o in api.realize_default_enrollments(learner)} == {OutcomeStatus.ENROLLED}


def test_a_collision_with_an_enrollment_that_is_there_stays_already_enrolled(world):
    """What another worker committed meanwhile is found by the re-read after the transaction."""
    learner = world.learner()
    customer_user = get_enterprise_customer_user_model()._default_manager.get(user_id=learner.pk)
    HostWritesEnterpriseEnrollment().enroll(learner, DEMO_RUN, "verified")
    collided = [
        Outcome(user_id=learner.pk, enterprise_customer_uuid=world.customer.uuid, intention_uuid=uuid4(),
                content_key=key, status=OutcomeStatus.ALREADY_ENROLLED, course_run_key=run, mode="verified",
                detail=writer.CONCURRENT_WRITE)
        for key, run in ((DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN))
    ]

    confirmed = writer._confirm_concurrent_writes(learner, customer_user, collided)

    assert [(o.status, o.reason) for o in confirmed] == [
        (OutcomeStatus.ALREADY_ENROLLED, None), (OutcomeStatus.FAILED, Reason.WRITE_NOT_CONFIRMED)
    ]


class OutspokenEnrollmentBackend(ReferenceEnrollmentBackend):
    """An LMS whose refusal names the learner and quotes its whole answer, as edx-platform's errors can."""

    def enroll(self, user, course_run_key: str, mode: str, **kwargs) -> None:
        raise EnrollmentError(
            f"{user.username} <{user.email}> cannot enroll in {course_run_key}: {{'user': '{user.email}', ...}}"
        )


def test_a_refusal_is_logged_and_reported_with_ids_only(world, settings, caplog):
    use_backend(settings, f"{__name__}.OutspokenEnrollmentBackend")
    learner = UserFactory(username="maria.lopez", email="maria.lopez@example.com")
    world.link(learner)
    caplog.set_level(logging.DEBUG, logger="default_enrollments")

    outcomes = api.realize_default_enrollments(learner)

    assert {(o.status, o.reason) for o in outcomes} == {(OutcomeStatus.FAILED, Reason.ENROLLMENT_REFUSED)}
    assert f"user={learner.pk}" in caplog.text
    for secret in ("maria.lopez", "example.com"):
        assert secret not in caplog.text
        assert not [o.detail for o in outcomes if secret in o.detail]
