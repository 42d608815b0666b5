"""
The batched write path: a first login writes all of a learner's enrollments in one batch, a backfill writes a
chunk of learners in one; what a learner and an operator see when one run, one learner or one chunk fails, and
what the database is asked (the statements do not grow with the batch).
"""
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from default_enrollments import api, backfill
from default_enrollments.backends.reference import ReferenceEnrollmentBackend
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import OutcomeStatus, Reason
from default_enrollments.eligibility import catalog_membership_policy
from default_enrollments.exceptions import EnrollmentError
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
)
from tests.learners import (
    DEMO_COURSE,
    DEMO_RUN,
    RefusingEnrollmentBackend,
    World,
    enterprise_enrollments,
    lms_enrollments,
    outcome_counts,
    realizations,
    use_backend,
)
from tests.test_write_path import GivingUpEnrollmentBackend

pytestmark = pytest.mark.django_db(transaction=True)  # real transactions: the writer's own, not a test's

OTHER_RUN = "course-v1:edX+Other+1T2030"


class BulkRefusingEnrollmentBackend(ReferenceEnrollmentBackend):
    """A backend that writes in bulk and refuses some (learner, run) pairs up front, as an LMS checking first."""

    refused: set[tuple[int | None, str]] = set()  # (user pk or None for every learner, run key)

    def enroll_many(self, requests):
        refused = {request: EnrollmentError(f"{request.course_run_key} is full") for request in requests
                   if {(request.user.pk, request.course_run_key), (None, request.course_run_key)} & self.refused}
        return {**refused, **super().enroll_many([r for r in requests if r not in refused])}


@pytest.fixture
def world(catalog_server):
    world = World(catalog_server)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    return world


@pytest.fixture(params=["checking first, in bulk", "writing, then refusing, one run at a time"])
def refusing(request, settings):
    """A backend refusing every learner's OTHER_RUN, of each kind: one that checks first, one that undoes."""
    if request.param.startswith("checking"):
        backend, refused = BulkRefusingEnrollmentBackend, {(None, OTHER_RUN)}
    else:
        backend, refused = RefusingEnrollmentBackend, {OTHER_RUN}
    use_backend(settings, f"{backend.__module__}.{backend.__name__}")
    backend.refused = refused
    yield backend
    backend.refused = set()


def count_statements(work) -> int:
    with CaptureQueriesContext(connection) as queries:
        work()
    return len(queries)


def run_backfill(*args: str) -> str:
    out = StringIO()
    call_command("realize_default_enrollments", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def only_once_each() -> bool:
    """No LMS enrollment, enterprise enrollment or realization was written twice."""
    ece = get_enterprise_course_enrollment_model()._default_manager
    lms_pairs = list(CourseEnrollment.objects.values_list("user_id", "course_id"))
    ece_pairs = list(ece.values_list("enterprise_customer_user_id", "course_id"))
    realized = list(DefaultEnterpriseEnrollmentRealization.objects.values_list("realized_enrollment_id", flat=True))
    return all(len(rows) == len(set(rows)) for rows in (lms_pairs, ece_pairs, realized))


# --- what the database is asked -----------------------------------------------------------------------------


def test_a_first_login_costs_the_same_statements_for_two_intentions_as_for_eight(catalog_server):
    def first_login(intention_count: int) -> int:
        world = World(catalog_server)
        for number in range(intention_count):
            world.course(f"edX+Batch{intention_count}x{number}", [f"course-v1:edX+Batch{intention_count}x{number}+1T"])
            world.intention(f"edX+Batch{intention_count}x{number}")
        learner = world.learner()
        api.realize_default_enrollments(learner)  # warms the catalog cache: the next learner is measured
        learner = world.learner()
        statements = count_statements(lambda: api.realize_default_enrollments(learner))
        assert len(realizations(learner)) == intention_count
        return statements

    assert first_login(8) == first_login(2)


def test_a_backfill_chunk_costs_the_same_statements_for_three_learners_as_for_twelve(catalog_server):
    def chunk(learner_count: int) -> int:
        world = World(catalog_server)
        world.course(f"edX+Chunk{learner_count}", [f"course-v1:edX+Chunk{learner_count}+1T"])
        world.intention(f"edX+Chunk{learner_count}")
        links = [world.learner() for _ in range(learner_count)]
        pks = list(get_enterprise_customer_user_model()._default_manager.filter(
            user_id__in=[link.pk for link in links]).values_list("pk", flat=True))
        intentions = backfill.IntentionsByCustomer()
        intentions.get(world.customer.uuid)  # the catalog is asked before the chunk, once per run
        statements = count_statements(
            lambda: backfill.realize_customer_user_chunk(pks, intentions_by_customer=intentions)
        )
        assert all(realizations(link) for link in links)
        return statements

    chunk(1)  # the switches read once per process
    assert chunk(12) == chunk(3)


def test_each_written_row_has_one_history_row(world):
    learner = world.learner()

    api.realize_default_enrollments(learner)

    realized = set(DefaultEnterpriseEnrollmentRealization.objects.values_list("pk", flat=True))
    history = list(DefaultEnterpriseEnrollmentRealization.history.values_list("id", "history_type"))
    assert len(realized) == 2
    assert sorted(history) == sorted((pk, "+") for pk in realized)


# --- a run, a learner, a chunk failing ---------------------------------------------------------------------


def test_a_run_refused_in_a_login_batch_costs_that_run_only(world, refusing):
    learner = world.learner()

    outcomes = api.realize_default_enrollments(learner)

    assert [(o.content_key, o.status, o.reason) for o in outcomes] == [
        (DEMO_COURSE, OutcomeStatus.ENROLLED, None), ("edX+Other", OutcomeStatus.FAILED, Reason.ENROLLMENT_REFUSED)
    ]
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert enterprise_enrollments(learner) == [DEMO_RUN]
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]

    refusing.refused = set()
    assert [o.status for o in api.realize_default_enrollments(learner)] == [
        OutcomeStatus.ALREADY_ENROLLED, OutcomeStatus.ENROLLED
    ]
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    assert only_once_each()


def test_a_run_refused_for_one_learner_of_a_chunk_costs_that_learner_that_run(world, settings):
    use_backend(settings, f"{__name__}.BulkRefusingEnrollmentBackend")
    learners = [world.learner() for _ in range(3)]
    BulkRefusingEnrollmentBackend.refused = {(learners[1].pk, OTHER_RUN)}
    try:
        output = run_backfill()
    finally:
        BulkRefusingEnrollmentBackend.refused = set()

    assert outcome_counts(output) == {"enrolled": 5, "upgraded": 0, "already_enrolled": 0, "skipped": 0, "failed": 1}
    assert "reasons: enrollment_refused 1" in output
    for learner in (learners[0], learners[2]):
        assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    assert lms_enrollments(learners[1]) == {DEMO_RUN: ("verified", True)}
    assert enterprise_enrollments(learners[1]) == [DEMO_RUN]
    assert realizations(learners[1]) == [(DEMO_COURSE, DEMO_RUN)]

    assert outcome_counts(run_backfill())["enrolled"] == 1
    assert realizations(learners[1]) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    assert only_once_each()


def test_a_run_refused_by_a_backend_enrolling_one_run_at_a_time_in_a_chunk(world, settings):
    use_backend(settings, "tests.learners.RefusingEnrollmentBackend")
    RefusingEnrollmentBackend.refused = {OTHER_RUN}  # written, then refused: its savepoint undoes the write
    learners = [world.learner() for _ in range(3)]
    try:
        output = run_backfill()
    finally:
        RefusingEnrollmentBackend.refused = set()

    assert outcome_counts(output) == {"enrolled": 3, "upgraded": 0, "already_enrolled": 0, "skipped": 0, "failed": 3}
    for learner in learners:
        assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
        assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    assert only_once_each()


def test_a_chunk_whose_transaction_fails_leaves_the_other_chunks_written_and_reports_its_learner(world, settings):
    """
    The database gives up a chunk's transaction for one learner's run: the other chunks are written, and so are
    the other learners of that chunk (written again one at a time); the learner it fails for is reported.
    """
    use_backend(settings, "tests.test_write_path.GivingUpEnrollmentBackend")
    learners = [world.learner() for _ in range(5)]
    doomed = learners[2]  # in the second chunk of two
    GivingUpEnrollmentBackend.give_up_on = {OTHER_RUN}
    GivingUpEnrollmentBackend.give_up_for = {doomed.pk}
    try:
        output = run_backfill("--batch-size", "2")
    finally:
        GivingUpEnrollmentBackend.give_up_on = set()
        GivingUpEnrollmentBackend.give_up_for = None

    assert outcome_counts(output) == {"enrolled": 8, "upgraded": 0, "already_enrolled": 0, "skipped": 0, "failed": 2}
    assert "5 learner(s) in 3 chunk(s)" in output
    assert not lms_enrollments(doomed) and not realizations(doomed)
    for learner in learners:
        if learner != doomed:
            assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    assert outcome_counts(run_backfill("--batch-size", "2"))["enrolled"] == 2
    assert only_once_each()


def test_two_intentions_naming_one_run_enroll_each_learner_of_a_chunk_once(catalog_server):
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    world.intention(DEMO_RUN)
    learners = [world.learner() for _ in range(3)]

    output = run_backfill()

    assert outcome_counts(output) == {"enrolled": 3, "upgraded": 0, "already_enrolled": 3, "skipped": 0, "failed": 0}
    for learner in learners:
        assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
        assert len(realizations(learner)) == 1
    assert only_once_each()


def test_a_chunk_upgrades_an_audit_enrollment_left_by_a_revoked_license_and_clears_the_mark(world):
    learner, other = world.learner(), world.learner()
    link = get_enterprise_customer_user_model()._default_manager.get(user_id=learner.pk)
    CourseEnrollment.objects.create(user=learner, course_id=DEMO_RUN, mode="audit", is_active=True)
    get_enterprise_course_enrollment_model()._default_manager.create(
        enterprise_customer_user=link, course_id=DEMO_RUN, unenrolled=True
    )

    output = run_backfill()

    assert outcome_counts(output) == {"enrolled": 3, "upgraded": 1, "already_enrolled": 0, "skipped": 0, "failed": 0}
    assert lms_enrollments(learner)[DEMO_RUN] == ("verified", True)
    assert get_enterprise_course_enrollment_model()._default_manager.get(
        enterprise_customer_user=link, course_id=DEMO_RUN
    ).unenrolled is None
    assert realizations(other) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    assert only_once_each()


class BulkCollidingEnrollmentBackend(ReferenceEnrollmentBackend):
    """A bulk backend whose insert meets a row someone else wrote for OTHER_RUN, and that row is not there after."""

    def enroll_many(self, requests):
        if any(request.course_run_key == OTHER_RUN for request in requests):
            super().enroll_many([r for r in requests if r.course_run_key != OTHER_RUN])  # written, then undone
            raise IntegrityError("duplicate key value violates unique constraint")
        return super().enroll_many(requests)


def test_a_collision_in_a_bulk_write_costs_the_run_it_belongs_to(world, settings):
    """The batch is written again one learner, then one run, at a time: only the colliding run is left out."""
    use_backend(settings, f"{__name__}.BulkCollidingEnrollmentBackend")
    first, *chunk = [world.learner() for _ in range(3)]

    login = api.realize_default_enrollments(first)
    output = run_backfill()

    assert [(o.content_key, o.status, o.reason) for o in login] == [
        (DEMO_COURSE, OutcomeStatus.ENROLLED, None), ("edX+Other", OutcomeStatus.FAILED, Reason.WRITE_NOT_CONFIRMED)
    ]
    assert outcome_counts(output) == {"enrolled": 2, "upgraded": 0, "already_enrolled": 1, "skipped": 0, "failed": 3}
    assert "reasons: write_not_confirmed 3" in output
    for learner in (first, *chunk):
        assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
        assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    assert only_once_each()


def unlinking_policy(user, enterprise_customer_uuid, runs, *, deadline=None):
    """The catalog's answer, after the learners in ``unlink`` leave the customer while they are being realized."""
    get_enterprise_customer_user_model()._base_manager.filter(user_id__in=unlinking_policy.unlink).update(active=False)
    return catalog_membership_policy(user, enterprise_customer_uuid, runs, deadline=deadline)


unlinking_policy.unlink = set()


def test_a_learner_who_leaves_the_customer_before_the_lock_is_skipped_and_the_chunk_goes_on(world, settings):
    policy = f"{__name__}.unlinking_policy"
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ELIGIBILITY_POLICY": policy}
    learners = [world.learner() for _ in range(3)]
    unlinking_policy.unlink = {learners[1].pk}
    try:
        outcomes = backfill.realize_customer_user_chunk(
            sorted(get_enterprise_customer_user_model()._default_manager.values_list("pk", flat=True))
        )
    finally:
        unlinking_policy.unlink = set()

    left = [o for o in outcomes if o.user_id == learners[1].pk]
    assert {(o.status, o.reason) for o in left} == {(OutcomeStatus.SKIPPED, Reason.NOT_ELIGIBLE)}
    assert all("left the customer" in o.detail for o in left)
    assert not lms_enrollments(learners[1]) and not realizations(learners[1])
    for learner in (learners[0], learners[2]):
        assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]


# --- a database that returns no keys from a bulk insert (MySQL) ----------------------------------------------


def test_without_keys_from_bulk_inserts_every_row_is_found_by_its_natural_key(world):
    """The path MySQL 8 takes, on any database: Django's feature flag is switched off (on the class: a property)."""
    first, *chunk = [world.learner() for _ in range(4)]
    with mock.patch.object(type(connection.features), "can_return_rows_from_bulk_insert", False):
        login = api.realize_default_enrollments(first)
        output = run_backfill()

    assert {o.status for o in login} == {OutcomeStatus.ENROLLED}
    assert outcome_counts(output)["enrolled"] == 6
    for learner in (first, *chunk):
        assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]
    realized = dict(DefaultEnterpriseEnrollmentRealization.objects.values_list("pk", "realized_enrollment_id"))
    history = list(DefaultEnterpriseEnrollmentRealization.history.values_list("id", "realized_enrollment_id"))
    assert sorted(history) == sorted(realized.items())
    assert only_once_each()


@pytest.mark.parametrize("returns_keys", [True, False], ids=["keys returned", "no keys returned"])
def test_receivers_of_the_lms_enrollment_hear_of_each_new_row_with_its_key(world, returns_keys):
    """What ``save()`` would tell a host's receivers, the bulk writes of the reference LMS tell them too."""
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, instance.course_id, created))

    learner = world.learner()
    returning = returns_keys and connection.features.can_return_rows_from_bulk_insert
    post_save.connect(receiver, sender=CourseEnrollment, weak=False, dispatch_uid="test-receiver")
    try:
        with mock.patch.object(type(connection.features), "can_return_rows_from_bulk_insert", returning):
            api.realize_default_enrollments(learner)
    finally:
        post_save.disconnect(sender=CourseEnrollment, dispatch_uid="test-receiver")

    rows = CourseEnrollment.objects.filter(user=learner).values_list("pk", "course_id")
    assert len(rows) == 2
    assert sorted(heard) == sorted((pk, run, True) for pk, run in rows)
