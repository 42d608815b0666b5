"""
License fulfillments on edx-enterprise's own models: the ``LicensedEnterpriseCourseEnrollment`` its reports and its
license revocation read, the enrollment source, their history rows, and what happens after edx-enterprise itself
revokes a license.

Runs only under ``tests.settings_edx_enterprise`` (``make test-edx-enterprise``); the reference host skips it.
"""
from uuid import uuid4

import pytest
from django.conf import settings

if settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL != "enterprise.EnterpriseCustomer":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise (edx-enterprise's models)", allow_module_level=True)

from enterprise import models as edx_enterprise  # noqa: E402 (only importable in the edx-enterprise host)

from default_enrollments import api  # noqa: E402
from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: E402
from default_enrollments.data import OutcomeStatus, Reason  # noqa: E402
from default_enrollments.models import DefaultEnterpriseEnrollmentRealization, get_licensed_enrollment_model  # noqa: E402
from tests.held_licenses import grant, use_license_policy  # noqa: E402
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(catalog_server, settings):
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    use_license_policy(settings)
    return world


def the_enterprise_enrollment(learner):
    return edx_enterprise.EnterpriseCourseEnrollment.objects.get(enterprise_customer_user__user_id=learner.id)


def revoke_license(learner, course_run_key: str) -> None:
    """
    What edx-enterprise's license revocation does to a licensed enrollment: the LMS moves the learner to audit
    (through the enrollment API, the reference LMS here), then edx-enterprise's own ``revoke()`` marks the
    fulfillment revoked and the enterprise enrollment unenrolled.
    """
    CourseEnrollment.objects.filter(user=learner, course_id=course_run_key).update(mode="audit")
    the_enterprise_enrollment(learner).license.revoke()


def test_the_fulfillment_model_is_edx_enterprises():
    assert get_licensed_enrollment_model() is edx_enterprise.LicensedEnterpriseCourseEnrollment


def test_a_licensed_login_leaves_edx_enterprises_fulfillment_with_its_history(world, client):
    learner = world.learner()
    license_uuid = uuid4()
    grant(learner, license_uuid)

    assert client.login(username=learner.username, password="password")

    enrollment = the_enterprise_enrollment(learner)
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert enrollment.source.slug == edx_enterprise.EnterpriseEnrollmentSource.CUSTOMER_ADMIN
    assert (enrollment.license.license_uuid, enrollment.license.is_revoked) == (license_uuid, False)
    assert list(enrollment.license.history.values_list("history_type", "license_uuid")) == [("+", license_uuid)]
    assert enrollment.fulfillments == [enrollment.license]


def test_after_edx_enterprise_revokes_the_license_only_a_new_license_upgrades_the_same_fulfillment(world, client):
    learner = world.learner()
    first, second = uuid4(), uuid4()
    grant(learner, first)
    assert client.login(username=learner.username, password="password")
    client.logout()
    fulfillment_pk = the_enterprise_enrollment(learner).license.pk

    revoke_license(learner, DEMO_RUN)
    grant(learner, None)
    enrollment = the_enterprise_enrollment(learner)
    assert (enrollment.unenrolled, enrollment.saved_for_later, enrollment.license.is_revoked) == (True, True, True)

    # The next login without a license changes nothing: the audit enrollment stays, the fulfillment stays revoked.
    assert client.login(username=learner.username, password="password")
    client.logout()
    assert lms_enrollments(learner) == {DEMO_RUN: ("audit", True)}
    enrollment = the_enterprise_enrollment(learner)
    assert (enrollment.unenrolled, enrollment.license.license_uuid, enrollment.license.is_revoked) == (
        True, first, True
    )
    (outcome,) = api.realize_default_enrollments(learner)
    assert (outcome.status, outcome.reason) == (OutcomeStatus.SKIPPED, Reason.NOT_ELIGIBLE)

    # A new license: the audit enrollment is upgraded and the same fulfillment row now names the new license.
    grant(learner, second)
    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    enrollment = the_enterprise_enrollment(learner)
    assert not enrollment.unenrolled
    assert not enrollment.saved_for_later
    assert edx_enterprise.LicensedEnterpriseCourseEnrollment.objects.count() == 1
    assert (enrollment.license.pk, enrollment.license.license_uuid, enrollment.license.is_revoked) == (
        fulfillment_pk, second, False
    )
    history = enrollment.license.history.order_by("history_date", "history_id")
    assert list(history.values_list("history_type", "license_uuid", "is_revoked")) == [
        ("+", first, False), ("~", first, True), ("~", second, False)
    ]
    assert DefaultEnterpriseEnrollmentRealization.objects.count() == 1
    assert enrollment.history.latest("history_date").saved_for_later is False


def test_edx_enterprises_own_revocation_still_works_on_a_reactivated_fulfillment(world, client):
    """The row the app reactivated is one edx-enterprise's revocation finds and revokes again."""
    learner = world.learner()
    grant(learner, uuid4())
    assert client.login(username=learner.username, password="password")
    client.logout()
    revoke_license(learner, DEMO_RUN)
    grant(learner, uuid4())
    assert client.login(username=learner.username, password="password")

    revoke_license(learner, DEMO_RUN)

    enrollment = the_enterprise_enrollment(learner)
    assert (enrollment.unenrolled, enrollment.license.is_revoked) == (True, True)
    assert lms_enrollments(learner) == {DEMO_RUN: ("audit", True)}
