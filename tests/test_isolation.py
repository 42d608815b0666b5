"""
One learner's or one customer's failure costs only that learner: the backfill command and the Celery chunk
task log it (ids only), count it as failed and go on with the others.
"""
import logging
from io import StringIO

import pytest
from django.core.management import call_command

from default_enrollments.backends.reference import ReferenceEnrollmentBackend
from default_enrollments.data import OutcomeStatus, Reason
from default_enrollments.tasks import realize_default_enrollments_for_customer_users
from tests.factories import EnterpriseCustomerFactory, UserFactory
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments, nothing_written

pytestmark = pytest.mark.django_db

OTHER_RUN = "course-v1:edX+Other+1T2030"


class BrokenForOneLearnerBackend(ReferenceEnrollmentBackend):
    """A host backend with a bug that shows for one learner only: reading their enrollments blows up."""

    broken_user_ids: set[int] = set()

    def get_enrollments(self, user, course_run_keys):
        if user.pk in self.broken_user_ids:
            raise RuntimeError(f"cannot read the enrollments of {user.username} <{user.email}>")
        return super().get_enrollments(user, course_run_keys)


@pytest.fixture
def world(catalog_server, settings):
    settings.DEFAULT_ENROLLMENTS = {
        **settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND": f"{__name__}.BrokenForOneLearnerBackend"
    }
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    return world


@pytest.fixture
def learners(world):
    """The broken learner first (lowest key), then a learner of the same customer and one of another customer."""
    broken = UserFactory(username="broken.learner", email="broken.learner@example.com")
    world.link(broken)
    same_customer = world.learner()
    other_customer = EnterpriseCustomerFactory()
    world.server.add_course("edX+Other", [OTHER_RUN])
    world.server.add_catalog(other_customer.uuid, ["edX+Other"])
    world.intention("edX+Other", customer=other_customer)
    elsewhere = world.learner(customer=other_customer)
    BrokenForOneLearnerBackend.broken_user_ids = {broken.pk}
    yield broken, same_customer, elsewhere
    BrokenForOneLearnerBackend.broken_user_ids = set()


def test_the_backfill_command_goes_on_after_a_learner_fails(learners, caplog):
    broken, same_customer, elsewhere = learners
    out = StringIO()
    caplog.set_level(logging.INFO, logger="default_enrollments")

    call_command("realize_default_enrollments", stdout=out, stderr=StringIO())

    assert lms_enrollments(same_customer) == {DEMO_RUN: ("verified", True)}
    assert lms_enrollments(elsewhere) == {OTHER_RUN: ("verified", True)}
    assert nothing_written(broken)
    assert "enrolled: 2" in out.getvalue() and "failed: 1" in out.getvalue()
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"user {broken.pk}" in failure.getMessage() and "error=RuntimeError" in failure.getMessage()
    assert "broken.learner" not in caplog.text  # the error's text names the learner: ids and frames only


def test_the_celery_chunk_task_goes_on_after_a_learner_fails(learners):
    broken, same_customer, elsewhere = learners
    from default_enrollments.models import get_enterprise_customer_user_model  # noqa: PLC0415

    pks = sorted(get_enterprise_customer_user_model()._default_manager.values_list("pk", flat=True))

    counts = realize_default_enrollments_for_customer_users.apply(args=[pks]).get()

    assert counts == {OutcomeStatus.FAILED.value: 1, OutcomeStatus.ENROLLED.value: 2}
    assert lms_enrollments(same_customer) == {DEMO_RUN: ("verified", True)}
    assert lms_enrollments(elsewhere) == {OTHER_RUN: ("verified", True)}


def test_the_failed_learner_is_reported_with_a_reason_that_is_not_retried(learners):
    from default_enrollments import backfill  # noqa: PLC0415
    from default_enrollments.models import get_enterprise_customer_user_model  # noqa: PLC0415

    broken = learners[0]
    link = get_enterprise_customer_user_model()._default_manager.get(user_id=broken.pk)

    [outcome] = backfill.realize_customer_user_chunk([link.pk])

    assert (outcome.status, outcome.reason, outcome.content_key) == (
        OutcomeStatus.FAILED, Reason.INTERNAL_ERROR, DEMO_COURSE
    )
    assert not outcome.is_transient
