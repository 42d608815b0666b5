"""
One set of intentions on an Open edX LMS: the app realizes edx-enterprise's own intentions into edx-enterprise's own
realization table (``DEFAULT_ENROLLMENTS_INTENTION_MODEL``/``..._REALIZATION_MODEL`` name its models).

Runs only under ``tests.settings_edx_enterprise_tables`` (``make test-edx-enterprise-tables``).
"""
import json
import types
from collections import Counter
from importlib import import_module
from io import StringIO

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

if getattr(settings, "DEFAULT_ENROLLMENTS_INTENTION_MODEL", None) != "enterprise.DefaultEnterpriseEnrollmentIntention":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise_tables", allow_module_level=True)

from enterprise import models as edx_enterprise  # noqa: E402 (only importable in the edx-enterprise host)
from enterprise import utils as edx_enterprise_utils  # noqa: E402
from enterprise.api_client import client as edx_enterprise_client  # noqa: E402
from enterprise.api_client.enterprise_catalog import EnterpriseCatalogApiClient  # noqa: E402

from default_enrollments import api  # noqa: E402
from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: E402
from default_enrollments.data import OutcomeStatus  # noqa: E402
from default_enrollments.models import (  # noqa: E402
    DefaultEnterpriseEnrollmentIntention,
    get_intention_model,
    get_realization_model,
)
from tests.catalog_server import ACCESS_TOKEN  # noqa: E402
from tests.factories import StaffUserFactory  # noqa: E402
from tests.learners import DEMO_COURSE, DEMO_RUN, CountingEnrollmentBackend, World, lms_enrollments  # noqa: E402
from tests.test_concurrency import WORKERS, realize_all_at_once  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

Intention = edx_enterprise.DefaultEnterpriseEnrollmentIntention
Realization = edx_enterprise.DefaultEnterpriseEnrollmentRealization


@pytest.fixture
def world(catalog_server):
    return World(catalog_server)


def their_intention(customer, content_key: str = DEMO_COURSE, *, is_removed: bool = False):
    """An intention as edx-enterprise stores it (content_type left null); bulk_create: its save() asks its catalog."""
    row = Intention(enterprise_customer=customer, content_key=content_key, is_removed=is_removed)
    Intention.all_objects.bulk_create([row])
    return row


def realized(user) -> list[tuple]:
    """(intention uuid, run) of the learner's rows in edx-enterprise's realization table."""
    return sorted(
        Realization.objects.filter(realized_enrollment__enterprise_customer_user__user_id=user.id)
        .values_list("intended_enrollment_id", "realized_enrollment__course_id")
    )


@pytest.fixture
def edx_enterprise_catalog(catalog_server, monkeypatch):
    """
    edx-enterprise's catalog client pointed at the loopback catalog (it computes its URL at import), with a token
    for its service worker (outside edx-platform it has no JWT builder), and the LMS pieces its models read.
    """
    monkeypatch.setattr(EnterpriseCatalogApiClient, "API_BASE_URL", catalog_server.api_url)
    monkeypatch.setattr(
        edx_enterprise_client, "JwtBuilder", types.SimpleNamespace(create_jwt_for_user=lambda user: ACCESS_TOKEN)
    )
    monkeypatch.setattr(edx_enterprise, "CourseEnrollment", CourseEnrollment)
    monkeypatch.setattr(edx_enterprise.utils, "get_best_mode_from_course_key", lambda key: "verified")
    worker = getattr(settings, "ENTERPRISE_SERVICE_WORKER_USERNAME", None)
    if worker:
        get_user_model()._default_manager.get_or_create(username=worker, defaults={"email": "worker@example.com"})
    return catalog_server


def test_the_app_runs_on_edx_enterprises_models():
    assert get_intention_model() is Intention
    assert get_realization_model() is Realization
    assert DefaultEnterpriseEnrollmentIntention._meta.swapped == "enterprise.DefaultEnterpriseEnrollmentIntention"


def test_the_apps_migrations_wait_for_edx_enterprises_one_to_one_realization():
    """Not its first migration, as ``swappable_dependency`` would say: the one that makes realizations one-to-one."""
    initial = import_module("default_enrollments.migrations.0001_initial")  # the suite runs --nomigrations

    parents = set(initial.Migration.dependencies)

    assert ("enterprise", "0228_alter_defaultenterpriseenrollmentrealization_realized_enrollment") in parents
    assert ("enterprise", "0001_squashed_0092_auto_20200312_1650") not in parents


def test_an_edx_enterprise_intention_is_realized_at_login_into_its_realization_table_once(world, client):
    world.demo_course()
    intention = their_intention(world.customer)
    learner = world.learner()

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert realized(learner) == [(intention.uuid, DEMO_RUN)]
    assert Realization.history.count() == 1, "a history row, as edx-enterprise keeps for its own writes"
    client.logout()

    assert client.login(username=learner.username, password="password")

    assert realized(learner) == [(intention.uuid, DEMO_RUN)]
    assert Realization.history.count() == 1, "the second login wrote nothing"
    (outcome,) = api.realize_default_enrollments(learner)
    assert outcome.status == OutcomeStatus.ALREADY_ENROLLED


def test_a_soft_deleted_edx_enterprise_intention_is_not_realized(world, client):
    world.demo_course()
    their_intention(world.customer, is_removed=True)
    learner = world.learner()

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {}
    assert not Realization.objects.exists()


def test_a_realization_written_by_edx_enterprises_bulk_enrollment_is_respected(world, edx_enterprise_catalog, settings):
    """edx-enterprise's bulk enrollment enrolls, then writes its realization without our lock; login adds nothing."""
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND":
                                    "tests.learners.CountingEnrollmentBackend"}
    CountingEnrollmentBackend.reset()
    world.demo_course()
    intention = their_intention(world.customer)
    learner = world.learner()
    CourseEnrollment.objects.create(user=learner, course_id=DEMO_RUN, mode="verified")
    link = edx_enterprise.EnterpriseCustomerUser.objects.get(user_id=learner.id)
    enrollment = edx_enterprise.EnterpriseCourseEnrollment.objects.create(enterprise_customer_user=link,
                                                                        course_id=DEMO_RUN)
    edx_enterprise_utils.check_default_enterprise_enrollment_intentions_and_create_realization(enrollment)
    (theirs,) = Realization.objects.all()

    outcomes = api.realize_default_enrollments(learner)

    assert [(o.intention_uuid, o.status) for o in outcomes] == [(intention.uuid, OutcomeStatus.ALREADY_ENROLLED)]
    assert list(Realization.objects.values_list("pk", "intended_enrollment_id")) == [(theirs.pk, intention.uuid)]
    assert CountingEnrollmentBackend.enroll_calls == Counter()


def test_backfill_realizes_edx_enterprise_intentions(world):
    world.demo_course()
    intention = their_intention(world.customer)
    learners = [world.learner() for _ in range(2)]

    call_command("realize_default_enrollments", stdout=StringIO(), stderr=StringIO())

    for learner in learners:
        assert realized(learner) == [(intention.uuid, DEMO_RUN)]


def test_validation_reads_edx_enterprise_intentions_and_derives_their_content_type(world):
    world.demo_course()
    their_intention(world.customer, DEMO_COURSE)
    their_intention(world.customer, DEMO_RUN)
    their_intention(world.customer, "edX+GoneX")
    their_intention(world.customer, "edX+RemovedX", is_removed=True)
    out = StringIO()

    with pytest.raises(Exception, match="1 of 3"):
        call_command("default_enrollments_validate_intentions", "--format", "json", stdout=out, stderr=StringIO())

    checks = {check["content_key"]: check for check in json.loads(out.getvalue())}
    assert set(checks) == {DEMO_COURSE, DEMO_RUN, "edX+GoneX"}
    assert [checks[DEMO_COURSE]["ok"], checks[DEMO_RUN]["ok"], checks["edX+GoneX"]["ok"]] == [True, True, False]
    assert (checks[DEMO_COURSE]["content_type"], checks[DEMO_RUN]["content_type"]) == ("course", "course_run")


def test_the_apps_api_serves_edx_enterprises_intentions_at_its_own_path(world, client):
    world.demo_course()
    live = their_intention(world.customer)
    their_intention(world.customer, "edX+RemovedX", is_removed=True)
    learner = world.learner()
    api.realize_default_enrollments(learner)
    client.force_login(StaffUserFactory())
    prefix = "/enterprise/default-enrollments/api/v1/default-enterprise-enrollment-intentions/"
    customer = {"enterprise_customer_uuid": str(world.customer.uuid)}

    listing = client.get(prefix, customer)
    status = client.get(f"{prefix}learner-status/", {**customer, "lms_user_id": learner.id})

    assert listing.status_code == 200, listing.content[:500]
    body = listing.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [(row["uuid"], row["course_run_key"]) for row in rows] == [(str(live.uuid), DEMO_RUN)]
    assert status.status_code == 200, status.content[:500]
    already = status.json()["enrollment_statuses"]["already_enrolled"]
    assert [row["uuid"] for row in already] == [str(live.uuid)]


def test_exactly_one_intentions_admin_and_a_realization_admin_for_edx_enterprises_table(world, client):
    intention_admins = [model for model in admin.site._registry if model.__name__ == Intention.__name__]
    assert intention_admins == [Intention]
    customer_admin = admin.site._registry[edx_enterprise.EnterpriseCustomer]
    assert [inline.model for inline in customer_admin.inlines].count(Intention) == 1
    assert admin.site.is_registered(Realization)

    world.demo_course()
    their_intention(world.customer)
    learner = world.learner()
    api.realize_default_enrollments(learner)
    client.force_login(StaffUserFactory(is_superuser=True))
    response = client.get(reverse("admin:enterprise_defaultenterpriseenrollmentrealization_changelist"))
    assert response.status_code == 200
    assert DEMO_RUN in response.content.decode()


def test_edx_enterprises_learner_status_lists_what_the_app_realized_as_already_enrolled(
    world, edx_enterprise_catalog, client, settings
):
    world.demo_course()
    intention = their_intention(world.customer)
    learner = world.learner()
    api.realize_default_enrollments(learner)
    assert realized(learner) == [(intention.uuid, DEMO_RUN)]

    settings.ROOT_URLCONF = "enterprise.urls"  # edx-enterprise's own view answers, not ours
    # Staff name the learner; a superuser's session passes edx-enterprise's permission without a JWT.
    client.force_login(StaffUserFactory(is_superuser=True))
    response = client.get(
        "/enterprise/api/v1/default-enterprise-enrollment-intentions/learner-status/",
        {"enterprise_customer_uuid": str(world.customer.uuid), "lms_user_id": learner.id},
    )

    assert response.status_code == 200, response.content[:500]
    statuses = response.json()["enrollment_statuses"]
    assert [row["uuid"] for row in statuses["already_enrolled"]] == [str(intention.uuid)]
    assert statuses["needs_enrollment"] == {"enrollable": [], "not_enrollable": []}


@pytest.mark.concurrency
def test_concurrent_realizations_write_one_enrollment_and_one_realization_per_intention(world, settings, db_vendor):
    if db_vendor == "sqlite":
        pytest.skip("SQLite serializes every writer on one file lock; row locks need MariaDB or PostgreSQL")
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND":
                                    "tests.learners.CountingEnrollmentBackend"}
    CountingEnrollmentBackend.reset()
    world.demo_course()
    other_run = "course-v1:edX+Other+1T2030"
    world.course("edX+Other", [other_run])
    intentions = [their_intention(world.customer, DEMO_COURSE), their_intention(world.customer, "edX+Other")]
    learner = world.learner()

    outcomes, errors = realize_all_at_once(learner.pk)

    assert errors == []
    by_intention = Counter((o.intention_uuid, o.status) for o in outcomes)
    for intention in intentions:
        assert by_intention[(intention.uuid, OutcomeStatus.ENROLLED)] == 1
        assert by_intention[(intention.uuid, OutcomeStatus.ALREADY_ENROLLED)] == WORKERS - 1
    assert CountingEnrollmentBackend.enroll_calls == Counter({DEMO_RUN: 1, other_run: 1})
    assert realized(learner) == sorted([(intentions[0].uuid, DEMO_RUN), (intentions[1].uuid, other_run)])
