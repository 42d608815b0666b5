"""
The app on a real Open edX enterprise host: edx-enterprise's own customer, learner-link and enterprise-enrollment
models, its managers, signal handlers and admin, with ours beside them.

Runs only under ``tests.settings_edx_enterprise`` (``make test-edx-enterprise``); the reference host skips it.
"""
import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

if settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL != "enterprise.EnterpriseCustomer":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise (edx-enterprise's models)", allow_module_level=True)

from enterprise import models as edx_enterprise  # noqa: E402 (only importable in the edx-enterprise host)
from enterprise.signals import enterprise_unenrollment_receiver  # noqa: E402
from opaque_keys.edx.keys import CourseKey  # noqa: E402
from openedx_events.learning.data import (  # noqa: E402
    CourseData,
    CourseEnrollmentData,
    UserData,
    UserPersonalData,
)

from default_enrollments import api  # noqa: E402
from default_enrollments.admin import DefaultEnrollmentIntentionInline  # noqa: E402
from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: E402
from default_enrollments.data import OutcomeStatus, Reason  # noqa: E402
from default_enrollments.models import (  # noqa: E402
    DefaultEnterpriseEnrollmentIntention,
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_model,
    get_enterprise_customer_user_model,
)
from tests.factories import EnterpriseCustomerFactory, StaffUserFactory  # noqa: E402
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments, realizations  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(catalog_server):
    return World(catalog_server)


def edx_enterprise_enrollments(user) -> list[tuple[str, bool | None]]:
    """(run, unenrolled) of the learner's rows in edx-enterprise's own table, read through its own manager."""
    return sorted(
        edx_enterprise.EnterpriseCourseEnrollment.objects.filter(enterprise_customer_user__user_id=user.id)
        .values_list("course_id", "unenrolled")
    )


def leave_course(user, course_run_key: str) -> None:
    """
    What an Open edX LMS does when a learner unenrolls: deactivate its enrollment, then edx-enterprise's receiver of
    ``COURSE_UNENROLLMENT_COMPLETED`` marks its enrollment row. edx-enterprise connects that receiver only inside
    edx-platform, so it is called here with the event's data, as the event bus would.
    """
    CourseEnrollment.objects.filter(user=user, course_id=course_run_key).update(is_active=False)
    enterprise_unenrollment_receiver(
        sender=None,
        enrollment=CourseEnrollmentData(
            user=UserData(
                id=user.id,
                is_active=True,
                pii=UserPersonalData(username=user.username, email=user.email, name=user.username),
            ),
            course=CourseData(course_key=CourseKey.from_string(course_run_key)),
            mode="verified",
            is_active=False,
            creation_date=timezone.now(),
        ),
    )


def test_the_host_models_are_edx_enterprises():
    assert get_enterprise_customer_model() is edx_enterprise.EnterpriseCustomer
    assert get_enterprise_customer_user_model() is edx_enterprise.EnterpriseCustomerUser
    assert get_enterprise_course_enrollment_model() is edx_enterprise.EnterpriseCourseEnrollment


def test_learner_linked_through_edx_enterprise_is_enrolled_on_login(world, client):
    world.demo_course()
    world.intention(DEMO_COURSE)
    learner = world.learner()

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert edx_enterprise_enrollments(learner) == [(DEMO_RUN, None)]
    realization = DefaultEnterpriseEnrollmentRealization.objects.get()
    assert isinstance(realization.realized_enrollment, edx_enterprise.EnterpriseCourseEnrollment)
    assert realization.realized_enrollment.enterprise_customer_user.user_id == learner.id
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


def test_our_intentions_and_edx_enterprises_live_side_by_side_on_one_customer(world):
    """Both apps have an intention model on the same customer; each keeps its own rows and reverse accessor."""
    world.demo_course()
    ours = world.intention(DEMO_COURSE)
    # bulk_create: edx-enterprise's own save() asks edx-platform's catalog about the key.
    their_model = edx_enterprise.DefaultEnterpriseEnrollmentIntention
    theirs = their_model(enterprise_customer=world.customer, content_key=DEMO_COURSE)
    their_model.objects.bulk_create([theirs])

    customer = get_enterprise_customer_model().objects.get(pk=world.customer.pk)
    assert list(customer.default_enrollment_intentions.all()) == [theirs]
    assert list(customer.default_enrollments_intentions.all()) == [ours]
    assert DefaultEnterpriseEnrollmentIntention.objects.get() == ours

    learner = world.learner()
    outcomes = api.realize_default_enrollments(learner)

    assert [(o.intention_uuid, o.status) for o in outcomes] == [(ours.uuid, OutcomeStatus.ENROLLED)]
    assert not edx_enterprise.DefaultEnterpriseEnrollmentRealization.objects.exists()


def test_learner_who_left_the_course_through_edx_enterprise_is_not_enrolled_again(world, client):
    world.demo_course()
    world.intention(DEMO_COURSE)
    learner = world.learner()
    assert client.login(username=learner.username, password="password")
    client.logout()

    leave_course(learner, DEMO_RUN)
    assert edx_enterprise_enrollments(learner) == [(DEMO_RUN, True)]  # edx-enterprise's own receiver marked it

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", False)}
    assert edx_enterprise_enrollments(learner) == [(DEMO_RUN, True)]
    (outcome,) = api.realize_default_enrollments(learner)
    assert (outcome.status, outcome.reason) == (OutcomeStatus.SKIPPED, Reason.UNENROLLED)


def test_learner_unlinked_by_edx_enterprise_gets_nothing(world, client):
    """edx-enterprise soft-deletes a learner link by unlinking it; the learner then belongs to no customer."""
    world.demo_course()
    world.intention(DEMO_COURSE)
    learner = world.learner()
    edx_enterprise.EnterpriseCustomerUser.objects.unlink_user(world.customer, learner.email)

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {}
    assert not edx_enterprise.EnterpriseCourseEnrollment._base_manager.exists()
    assert not DefaultEnterpriseEnrollmentRealization.objects.exists()


def test_switching_the_active_customer_realizes_only_the_active_one(world):
    """edx-enterprise keeps one active customer per learner by default: linking to another deactivates the first."""
    world.demo_course()
    world.intention(DEMO_COURSE)
    other = EnterpriseCustomerFactory()
    world.server.add_course("edX+Other", ["course-v1:edX+Other+1T2030"])
    world.server.add_catalog(other.uuid, ["edX+Other"])
    world.intention("edX+Other", customer=other)
    learner = world.learner()

    # A plain save, as edx-enterprise's own views do: should_inactivate_other_customers defaults to True there, and
    # the new link realizes at once.
    edx_enterprise.EnterpriseCustomerUser(enterprise_customer=other, user_id=learner.id).save()

    assert lms_enrollments(learner) == {"course-v1:edX+Other+1T2030": ("verified", True)}
    outcomes = api.realize_default_enrollments(learner)
    assert [(o.enterprise_customer_uuid, o.content_key, o.status) for o in outcomes] == [
        (other.uuid, "edX+Other", OutcomeStatus.ALREADY_ENROLLED)
    ]


def test_our_admin_sits_beside_edx_enterprises(client):
    staff = StaffUserFactory()
    client.force_login(staff)

    assert admin.site.is_registered(DefaultEnterpriseEnrollmentIntention)
    assert admin.site.is_registered(edx_enterprise.DefaultEnterpriseEnrollmentIntention)
    customer_admin = admin.site._registry[edx_enterprise.EnterpriseCustomer]
    assert DefaultEnrollmentIntentionInline in customer_admin.inlines
    for url in (
        reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist"),
        reverse("admin:default_enrollments_defaultenterpriseenrollmentrealization_changelist"),
        reverse("admin:enterprise_defaultenterpriseenrollmentintention_changelist"),
    ):
        assert client.get(url).status_code == 200, url


def test_our_api_answers_at_the_edx_enterprise_paths(world, client):
    """Our URLs are listed first in this host, so the shared path reaches our view and our intentions."""
    world.demo_course()
    ours = world.intention(DEMO_COURSE)
    client.force_login(StaffUserFactory())

    response = client.get(
        "/enterprise/api/v1/default-enterprise-enrollment-intentions/",
        {"enterprise_customer_uuid": str(world.customer.uuid)},
    )

    assert response.status_code == 200, response.content[:500]
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["uuid"] for row in rows] == [str(ours.uuid)]
