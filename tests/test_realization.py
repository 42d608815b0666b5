"""
``api.realize_default_enrollments`` against the loopback catalog: what gets enrolled, what is left alone,
and that every intention's writes stand or fall together.
"""
import time

import pytest
from django.utils import timezone

from default_enrollments import api
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import OutcomeStatus, Reason
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
)
from tests.catalog_server import course_run
from tests.factories import CourseEnrollmentFactory, EnterpriseCourseEnrollmentFactory, EnterpriseCustomerFactory
from tests.learners import (
    DEMO_COURSE,
    DEMO_OLD_RUN,
    DEMO_RUN,
    RefusingEnrollmentBackend,
    World,
    enterprise_enrollments,
    lms_enrollments,
    nothing_written,
    realizations,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalog_server):
    return World(catalog_server)


def statuses(outcomes):
    return [(outcome.content_key, outcome.status, outcome.reason) for outcome in outcomes]


# --- what gets enrolled -------------------------------------------------------------------------------


def test_course_intention_enrolls_in_the_advertised_run_in_the_best_mode(world):
    world.demo_course()
    intention = world.intention(DEMO_COURSE)
    learner = world.learner()

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.course_run_key, outcome.mode) == (OutcomeStatus.ENROLLED, DEMO_RUN, "verified")
    assert outcome.intention_uuid == intention.uuid and outcome.enterprise_customer_uuid == world.customer.uuid
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert enterprise_enrollments(learner) == [DEMO_RUN]
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    enterprise_enrollment = get_enterprise_course_enrollment_model()._default_manager.get()
    assert enterprise_enrollment.unenrolled is None


def test_run_intention_enrolls_in_exactly_that_run(world):
    explicit = "course-v1:edX+DemoX+2T2030"
    world.course(DEMO_COURSE, [explicit, DEMO_RUN], advertised=DEMO_RUN)
    world.intention(explicit)
    learner = world.learner()

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.course_run_key) == (OutcomeStatus.ENROLLED, explicit)
    assert lms_enrollments(learner) == {explicit: ("verified", True)}
    assert realizations(learner) == [(explicit, explicit)]


def test_mode_priority_decides_the_mode(world, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "MODE_PRIORITY": ["audit", "verified"]}
    world.demo_course()
    world.intention()
    learner = world.learner()

    api.realize_default_enrollments(learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("audit", True)}


def test_realizing_again_writes_nothing_and_asks_the_catalog_nothing(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    api.realize_default_enrollments(learner)
    world.server.reset_counts()
    first_modified = CourseEnrollment.objects.get().modified

    outcomes = api.realize_default_enrollments(learner)

    assert statuses(outcomes) == [(DEMO_COURSE, OutcomeStatus.ALREADY_ENROLLED, None)]
    assert world.server.catalog_requests == 0
    assert CourseEnrollment.objects.get().modified == first_modified
    assert DefaultEnterpriseEnrollmentRealization.objects.count() == 1


def test_every_customer_of_the_learner_is_realized(world):
    world.demo_course()
    world.intention()
    other_customer = EnterpriseCustomerFactory()
    world.server.add_course("edX+Other", ["course-v1:edX+Other+1T2030"])
    world.server.add_catalog(other_customer.uuid, ["edX+Other"])
    world.intention("edX+Other", customer=other_customer)
    learner = world.learner()
    world.link(learner, customer=other_customer)

    outcomes = api.realize_default_enrollments(learner)

    assert sorted((o.enterprise_customer_uuid, o.status) for o in outcomes) == sorted(
        [(world.customer.uuid, OutcomeStatus.ENROLLED), (other_customer.uuid, OutcomeStatus.ENROLLED)]
    )
    assert set(lms_enrollments(learner)) == {DEMO_RUN, "course-v1:edX+Other+1T2030"}


def test_two_intentions_for_the_same_run_enroll_once(world):
    world.demo_course()
    world.intention(DEMO_COURSE)
    world.intention(DEMO_RUN)
    learner = world.learner()

    outcomes = api.realize_default_enrollments(learner)

    assert sorted(o.status for o in outcomes) == [OutcomeStatus.ALREADY_ENROLLED, OutcomeStatus.ENROLLED]
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert len(realizations(learner)) == 1


# --- upgrades and enrollments that already exist ---------------------------------------------------------


def test_audit_enrollment_is_upgraded_when_a_paid_mode_exists(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    CourseEnrollmentFactory(user=learner, course_id=DEMO_RUN, mode="audit")

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.mode) == (OutcomeStatus.UPGRADED, "verified")
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


def test_upgrade_reuses_the_existing_enterprise_enrollment(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    CourseEnrollmentFactory(user=learner, course_id=DEMO_RUN, mode="audit")
    existing = EnterpriseCourseEnrollmentFactory(
        enterprise_customer_user__enterprise_customer=world.customer, course_id=DEMO_RUN,
        enterprise_customer_user=world.customer.enterprise_customer_users.get(user_id=learner.id),
    )

    api.realize_default_enrollments(learner)

    assert get_enterprise_course_enrollment_model()._default_manager.get().pk == existing.pk
    assert DefaultEnterpriseEnrollmentRealization.objects.get().realized_enrollment_id == existing.pk


def test_audit_enrollment_stays_when_audit_is_all_the_run_offers(world):
    world.demo_course(seats=("audit",))
    world.intention()
    learner = world.learner()
    CourseEnrollmentFactory(user=learner, course_id=DEMO_RUN, mode="audit")

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.mode) == (OutcomeStatus.ALREADY_ENROLLED, "audit")
    assert realizations(learner) == []


def test_learner_who_unenrolled_is_never_enrolled_again(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    api.realize_default_enrollments(learner)
    enrollment = CourseEnrollment.objects.get(user=learner)
    enrollment.is_active = False  # the learner leaves the course; the host marks the enterprise row
    enrollment.save()

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.reason) == (OutcomeStatus.SKIPPED, Reason.UNENROLLED)
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", False)}
    enterprise_enrollment = get_enterprise_course_enrollment_model()._default_manager.get()
    assert enterprise_enrollment.unenrolled is True


def test_enterprise_enrollment_marked_unenrolled_is_left_alone(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    left = EnterpriseCourseEnrollmentFactory(
        enterprise_customer_user=world.customer.enterprise_customer_users.get(user_id=learner.id),
        course_id=DEMO_RUN, unenrolled=True, unenrolled_at=timezone.now(),
    )

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.reason) == (OutcomeStatus.SKIPPED, Reason.UNENROLLED)
    assert lms_enrollments(learner) == {}
    left_before = (left.unenrolled, left.unenrolled_at, left.modified)
    left.refresh_from_db()
    assert (left.unenrolled, left.unenrolled_at, left.modified) == left_before


def audit_learner(world, **enterprise_enrollment):
    """A learner with an active audit enrollment in the demo run and its enterprise enrollment."""
    world.demo_course()
    world.intention()
    learner = world.learner()
    CourseEnrollmentFactory(user=learner, course_id=DEMO_RUN, mode="audit")
    return learner, EnterpriseCourseEnrollmentFactory(
        enterprise_customer_user=world.customer.enterprise_customer_users.get(user_id=learner.id),
        course_id=DEMO_RUN, **enterprise_enrollment,
    )


def test_audit_learner_who_left_is_neither_enrolled_again_nor_upgraded(world):
    learner, left = audit_learner(world)
    enrollment = CourseEnrollment.objects.get(user=learner)
    enrollment.is_active = False  # the learner leaves; the host marks the enterprise row unenrolled
    enrollment.save()
    left.refresh_from_db()
    assert left.unenrolled is True

    for _login in range(2):
        [outcome] = api.realize_default_enrollments(learner)
        assert (outcome.status, outcome.reason) == (OutcomeStatus.SKIPPED, Reason.UNENROLLED)
    assert lms_enrollments(learner) == {DEMO_RUN: ("audit", False)}
    assert realizations(learner) == []
    left.refresh_from_db()
    assert left.unenrolled is True


def test_active_audit_enrollment_left_by_a_revoked_license_is_upgraded_and_no_longer_marked(world):
    learner, revoked = audit_learner(world, unenrolled=True, unenrolled_at=timezone.now())

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.mode) == (OutcomeStatus.UPGRADED, "verified")
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    revoked.refresh_from_db()
    assert (revoked.unenrolled, revoked.unenrolled_at) == (None, None)
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


# --- nothing written ------------------------------------------------------------------------------------


def test_closed_run_is_skipped(world):
    world.course(DEMO_COURSE, [course_run(DEMO_RUN, is_enrollable=False)])
    world.intention()
    learner = world.learner()

    assert statuses(api.realize_default_enrollments(learner)) == [
        (DEMO_COURSE, OutcomeStatus.SKIPPED, Reason.NOT_ENROLLABLE)
    ]
    assert nothing_written(learner)


def test_explicit_archived_run_is_skipped(world):
    world.demo_course()
    world.intention(DEMO_OLD_RUN)
    learner = world.learner()

    assert statuses(api.realize_default_enrollments(learner)) == [
        (DEMO_OLD_RUN, OutcomeStatus.SKIPPED, Reason.NOT_ENROLLABLE)
    ]
    assert nothing_written(learner)


def test_content_outside_the_customers_catalogs_is_skipped(world):
    world.course(DEMO_COURSE, [DEMO_RUN], in_catalog=False)
    world.intention()
    learner = world.learner()

    assert statuses(api.realize_default_enrollments(learner)) == [
        (DEMO_COURSE, OutcomeStatus.SKIPPED, Reason.NOT_ELIGIBLE)
    ]
    assert nothing_written(learner)


def test_unknown_course_is_skipped(world):
    world.intention("edX+Vanished")
    learner = world.learner()

    assert statuses(api.realize_default_enrollments(learner)) == [
        ("edX+Vanished", OutcomeStatus.SKIPPED, Reason.UNKNOWN_CONTENT)
    ]
    assert nothing_written(learner)


def test_soft_deleted_intention_is_ignored(world):
    world.demo_course()
    world.intention().delete()
    learner = world.learner()

    assert api.realize_default_enrollments(learner) == []
    assert nothing_written(learner)
    assert world.server.catalog_requests == 0


@pytest.mark.parametrize(
    "link", [{"active": False}, {"linked": False}], ids=["inactive link", "unlinked"]
)
def test_learner_not_actively_linked_gets_nothing(world, link):
    world.demo_course()
    world.intention()
    learner = world.learner(**link)

    assert api.realize_default_enrollments(learner) == []
    assert nothing_written(learner)


def test_learner_of_an_inactive_customer_gets_nothing(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    world.customer.active = False
    world.customer.save()

    assert api.realize_default_enrollments(learner) == []
    assert nothing_written(learner)


def test_dry_run_decides_and_writes_nothing(world):
    world.demo_course()
    world.intention()
    learner = world.learner()

    [outcome] = api.realize_default_enrollments(learner, dry_run=True)

    assert (outcome.status, outcome.course_run_key, outcome.mode) == (OutcomeStatus.ENROLLED, DEMO_RUN, "verified")
    assert "dry run" in outcome.detail
    assert nothing_written(learner)


# --- failures -----------------------------------------------------------------------------------------


def test_backend_refusal_rolls_back_that_intention_only(world, settings):
    settings.DEFAULT_ENROLLMENTS = {
        **settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND": "tests.learners.RefusingEnrollmentBackend"
    }
    RefusingEnrollmentBackend.refused = {DEMO_RUN}
    world.demo_course()
    world.course("edX+Other", ["course-v1:edX+Other+1T2030"])
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    learner = world.learner()

    outcomes = {o.content_key: o for o in api.realize_default_enrollments(learner)}

    assert (outcomes[DEMO_COURSE].status, outcomes[DEMO_COURSE].reason) == (
        OutcomeStatus.FAILED, Reason.ENROLLMENT_REFUSED
    )
    assert outcomes[DEMO_COURSE].detail == "EnrollmentError"  # the class, not the LMS's words (ids only)
    assert outcomes["edX+Other"].status == OutcomeStatus.ENROLLED
    assert lms_enrollments(learner) == {"course-v1:edX+Other+1T2030": ("verified", True)}
    assert realizations(learner) == [("edX+Other", "course-v1:edX+Other+1T2030")]


@pytest.mark.parametrize("failure", ["down", "500", "garbage"])
def test_catalog_failure_writes_nothing_and_the_next_attempt_realizes(world, failure):
    world.demo_course()
    world.intention()
    learner = world.learner()
    if failure == "down":
        world.server.go_down()
    elif failure == "500":
        world.server.fail_with(500)
    else:
        world.server.answer_garbage()

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.reason) == (OutcomeStatus.FAILED, Reason.CATALOG_UNAVAILABLE)
    assert nothing_written(learner)

    if failure == "down":
        world.server.come_back()
    world.server.recover()
    [outcome] = api.realize_default_enrollments(learner)

    assert outcome.status == OutcomeStatus.ENROLLED
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


def test_hanging_catalog_costs_at_most_the_deadline(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    world.server.hang(10)

    started = time.monotonic()
    [outcome] = api.realize_default_enrollments(learner, deadline=started + 0.5)

    assert time.monotonic() - started < 1.5
    assert (outcome.status, outcome.reason) == (OutcomeStatus.FAILED, Reason.TIME_BUDGET_EXHAUSTED)
    assert nothing_written(learner)


def test_catalog_failure_while_checking_eligibility_writes_nothing(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    intentions = DefaultEnterpriseEnrollmentIntention.objects.filter(enterprise_customer=world.customer)
    api.resolve_intentions(list(intentions))  # documents now cached
    world.server.fail_with(503)

    [outcome] = api.realize_default_enrollments(learner)

    assert (outcome.status, outcome.reason) == (OutcomeStatus.FAILED, Reason.CATALOG_UNAVAILABLE)
    assert nothing_written(learner)


# --- one learner, one customer ----------------------------------------------------------------------------


def test_realize_for_customer_user_realizes_that_customer_only(world):
    world.demo_course()
    world.intention()
    learner = world.learner()
    customer_user = world.customer.enterprise_customer_users.get(user_id=learner.id)

    [outcome] = api.realize_for_customer_user(customer_user)

    assert outcome.status == OutcomeStatus.ENROLLED
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


def test_realize_for_customer_user_does_nothing_for_an_inactive_link(world):
    world.demo_course()
    world.intention()
    learner = world.learner(active=False)
    customer_user = world.customer.enterprise_customer_users.get(user_id=learner.id)

    assert api.realize_for_customer_user(customer_user) == []
    assert nothing_written(learner)
