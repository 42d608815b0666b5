"""
What a realized enterprise enrollment carries besides itself: the source every report reads, and the license that
pays for the seat, recorded in the same transaction as the enrollment. Runs on the reference host and on
edx-enterprise's models (``make test-edx-enterprise``), through the host-model accessors.
"""
import logging
from uuid import uuid4

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from default_enrollments import api
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import OutcomeStatus
from default_enrollments.fulfillment import (
    SOURCE_SLUG,
    complete_enterprise_enrollments,
    forget_sources,
    new_enterprise_enrollment_fields,
)
from default_enrollments.models import (
    get_enrollment_source_model,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
    get_licensed_enrollment_model,
)
from tests.held_licenses import fulfillments, grant, sources, use_license_policy
from tests.learners import DEMO_COURSE, DEMO_RUN, RefusingEnrollmentBackend, World, lms_enrollments, nothing_written

pytestmark = pytest.mark.django_db(transaction=True)  # the writer's own transaction, not a test's

OTHER_RUN = "course-v1:edX+Other+1T2030"


@pytest.fixture
def world(catalog_server, settings):
    world = World(catalog_server)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    use_license_policy(settings)
    return world


def enterprise_enrollment(user, run: str):
    return get_enterprise_course_enrollment_model()._base_manager.get(
        enterprise_customer_user__user_id=user.id, course_id=run
    )


def test_a_licensed_realization_records_the_license_that_pays(world, client):
    learner = world.learner()
    license_uuid = uuid4()
    grant(learner, license_uuid)

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True), OTHER_RUN: ("verified", True)}
    assert fulfillments(learner) == [(DEMO_RUN, license_uuid, False), (OTHER_RUN, license_uuid, False)]
    assert sources(learner) == [(DEMO_RUN, SOURCE_SLUG), (OTHER_RUN, SOURCE_SLUG)]


def test_a_second_login_records_nothing_more(world, client):
    learner = world.learner()
    license_uuid = uuid4()
    grant(learner, license_uuid)
    assert client.login(username=learner.username, password="password")
    client.logout()

    assert client.login(username=learner.username, password="password")

    assert get_licensed_enrollment_model()._base_manager.count() == 2
    assert fulfillments(learner) == [(DEMO_RUN, license_uuid, False), (OTHER_RUN, license_uuid, False)]


def test_a_refused_enrollment_leaves_neither_the_enrollment_nor_the_fulfillment(world, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS,
                                    "ENROLLMENT_BACKEND": "tests.learners.RefusingEnrollmentBackend"}
    RefusingEnrollmentBackend.refused = {OTHER_RUN}
    learner = world.learner()
    license_uuid = uuid4()
    grant(learner, license_uuid)

    outcomes = api.realize_default_enrollments(learner)

    assert [(o.content_key, o.status) for o in outcomes] == [
        (DEMO_COURSE, OutcomeStatus.ENROLLED), ("edX+Other", OutcomeStatus.FAILED)
    ]
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert fulfillments(learner) == [(DEMO_RUN, license_uuid, False)]
    assert sources(learner) == [(DEMO_RUN, SOURCE_SLUG)]


def test_a_policy_answer_that_names_no_real_license_fails_and_writes_nothing(world):
    """A license that is not a UUID cannot be recorded: the enrollment it would pay for is not written either."""
    learner = world.learner()
    grant(learner, "not-a-license")

    outcomes = api.realize_default_enrollments(learner)

    assert {(o.status, o.detail) for o in outcomes} == {(OutcomeStatus.FAILED, "ValueError")}
    assert nothing_written(learner)
    assert fulfillments(learner) == []


def test_a_learner_without_a_license_gets_nothing(world, client):
    learner = world.learner()

    assert client.login(username=learner.username, password="password")

    assert nothing_written(learner)
    assert fulfillments(learner) == []


def test_an_enrollment_the_host_wrote_without_a_source_gets_one_when_upgraded(world):
    """An audit enrollment and its enterprise enrollment written earlier by the LMS's own code, without a source."""
    learner = world.learner()
    link = get_enterprise_customer_user_model()._base_manager.get(user_id=learner.id)
    CourseEnrollment.objects.create(user=learner, course_id=DEMO_RUN, mode="audit")
    get_enterprise_course_enrollment_model()._base_manager.create(enterprise_customer_user=link, course_id=DEMO_RUN)
    assert sources(learner) == [(DEMO_RUN, None)]
    license_uuid = uuid4()
    grant(learner, license_uuid)

    outcomes = api.realize_default_enrollments(learner)

    assert {o.course_run_key: o.status for o in outcomes} == {
        DEMO_RUN: OutcomeStatus.UPGRADED, OTHER_RUN: OutcomeStatus.ENROLLED
    }
    assert sources(learner) == [(DEMO_RUN, SOURCE_SLUG), (OTHER_RUN, SOURCE_SLUG)]
    assert fulfillments(learner) == [(DEMO_RUN, license_uuid, False), (OTHER_RUN, license_uuid, False)]


def test_a_database_without_the_source_row_gets_it_at_the_first_realization(world):
    """A host database built without data migrations, or whose row was removed, as a fresh process meets it."""
    get_enrollment_source_model()._base_manager.filter(slug=SOURCE_SLUG).delete()
    forget_sources()
    learner = world.learner()
    grant(learner, uuid4())

    api.realize_default_enrollments(learner)

    assert sources(learner) == [(DEMO_RUN, SOURCE_SLUG), (OTHER_RUN, SOURCE_SLUG)]
    assert get_enrollment_source_model()._base_manager.filter(slug=SOURCE_SLUG).count() == 1


def test_a_source_row_created_in_a_rolled_back_transaction_is_not_remembered(world):
    get_enrollment_source_model()._base_manager.filter(slug=SOURCE_SLUG).delete()
    forget_sources()
    learner = world.learner()
    grant(learner, uuid4())
    link = get_enterprise_customer_user_model()._base_manager.get(user_id=learner.id)
    model = get_enterprise_course_enrollment_model()
    with pytest.raises(RuntimeError), transaction.atomic():
        complete_enterprise_enrollments(
            {model._base_manager.create(enterprise_customer_user=link, course_id=DEMO_RUN).pk: None}
        )
        raise RuntimeError("the transaction is given up")
    assert not get_enrollment_source_model()._base_manager.filter(slug=SOURCE_SLUG).exists()

    api.realize_default_enrollments(learner)

    assert sources(learner) == [(DEMO_RUN, SOURCE_SLUG), (OTHER_RUN, SOURCE_SLUG)]


@pytest.mark.parametrize("licensed", [False, True])
def test_completing_costs_the_same_for_1_and_20_enrollments(world, licensed):
    learner = world.learner()
    link = get_enterprise_customer_user_model()._base_manager.get(user_id=learner.id)
    model = get_enterprise_course_enrollment_model()
    pks = [model._base_manager.create(enterprise_customer_user=link, course_id=f"course-v1:edX+C{n}+1T2030").pk
           for n in range(21)]
    new_enterprise_enrollment_fields()  # the source row is looked up once per process
    license_uuid = uuid4() if licensed else None
    counts = []
    for batch in (pks[:1], pks[1:]):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            complete_enterprise_enrollments(dict.fromkeys(batch, license_uuid))
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert set(model._base_manager.filter(pk__in=pks).values_list("source__slug", flat=True)) == {SOURCE_SLUG}
    assert len(fulfillments(learner)) == (21 if licensed else 0)


def test_a_host_without_a_fulfillment_model_enrolls_and_records_no_license(world, settings, caplog):
    settings.DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL = None
    assert get_licensed_enrollment_model() is None
    learner = world.learner()
    grant(learner, uuid4())

    with caplog.at_level(logging.WARNING, logger="default_enrollments.realization"):
        outcomes = api.realize_default_enrollments(learner)

    assert {o.status for o in outcomes} == {OutcomeStatus.ENROLLED}
    assert "license not recorded" in caplog.text
    assert str(learner.email) not in caplog.text
