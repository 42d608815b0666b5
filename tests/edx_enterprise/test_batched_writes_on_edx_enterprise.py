"""
The batched writes on edx-enterprise's own models: what edx-enterprise does when one of its enterprise enrollments
is saved still happens (its data-sharing-consent receiver, its history rows), at login and in the backfill, whether
or not the database returns keys from a bulk insert.

Runs only under ``tests.settings_edx_enterprise`` (``make test-edx-enterprise``); the reference host skips it.
"""
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

if settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL != "enterprise.EnterpriseCustomer":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise (edx-enterprise's models)", allow_module_level=True)

from consent.models import DataSharingConsent  # noqa: E402 (only importable in the edx-enterprise host)
from enterprise import models as edx_enterprise  # noqa: E402

from default_enrollments import api  # noqa: E402
from default_enrollments.data import OutcomeStatus  # noqa: E402
from tests.factories import EnterpriseCustomerFactory  # noqa: E402
from tests.learners import DEMO_COURSE, DEMO_RUN, World, realizations  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_RUN = "course-v1:edX+Other+1T2030"


@pytest.fixture
def world(catalog_server):
    """A customer whose learners' consent is collected outside edX, so edx-enterprise implies it on enrollment."""
    customer = EnterpriseCustomerFactory(
        enable_data_sharing_consent=True,
        enforce_data_sharing_consent=edx_enterprise.EnterpriseCustomer.EXTERNALLY_MANAGED,
    )
    world = World(catalog_server, customer=customer)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    return world


def consents(user) -> list[tuple[str, bool]]:
    return sorted(DataSharingConsent.objects.filter(username=user.username).values_list("course_id", "granted"))


def history_of_enterprise_enrollments(user) -> list[tuple[int, str]]:
    """(row id, history type) of the learner's enterprise enrollments' history rows."""
    return sorted(edx_enterprise.EnterpriseCourseEnrollment.history.filter(
        enterprise_customer_user__user_id=user.pk
    ).values_list("id", "history_type"))


def enterprise_enrollment_ids(user) -> list[int]:
    return sorted(edx_enterprise.EnterpriseCourseEnrollment.objects.filter(
        enterprise_customer_user__user_id=user.pk
    ).values_list("id", flat=True))


@pytest.mark.parametrize("returns_keys", [True, False], ids=["keys returned", "no keys returned (MySQL 8)"])
def test_a_default_enrollment_gets_its_implied_consent_and_one_history_row(world, returns_keys):
    learner = world.learner()
    returning = returns_keys and connection.features.can_return_rows_from_bulk_insert
    with mock.patch.object(type(connection.features), "can_return_rows_from_bulk_insert", returning):
        outcomes = api.realize_default_enrollments(learner)

    assert {o.status for o in outcomes} == {OutcomeStatus.ENROLLED}
    assert consents(learner) == [(DEMO_RUN, True), (OTHER_RUN, True)]
    assert history_of_enterprise_enrollments(learner) == [(pk, "+") for pk in enterprise_enrollment_ids(learner)]
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]


def test_the_backfill_gives_every_learner_of_a_chunk_their_implied_consent(world):
    learners = [world.learner() for _ in range(3)]

    call_command("realize_default_enrollments", stdout=StringIO(), stderr=StringIO())

    for learner in learners:
        assert consents(learner) == [(DEMO_RUN, True), (OTHER_RUN, True)]
        assert history_of_enterprise_enrollments(learner) == [(pk, "+") for pk in enterprise_enrollment_ids(learner)]
        assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN), ("edX+Other", OTHER_RUN)]


def test_a_customer_without_implied_consent_gets_no_consent_rows(catalog_server):
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    learner = world.learner()

    api.realize_default_enrollments(learner)

    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    assert consents(learner) == []
