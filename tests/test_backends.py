"""Enrollment backends: the bundled reference LMS, and Open edX's enrollment API (against a stand-in module)."""
import sys

import pytest

from default_enrollments import api
from default_enrollments.backends import get_enrollment_backend
from default_enrollments.backends.openedx import OpenEdxEnrollmentBackend
from default_enrollments.contrib.reference_host.backend import ReferenceEnrollmentBackend
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import EnrollmentState, OutcomeStatus, Reason
from default_enrollments.exceptions import EnrollmentError
from tests.factories import CourseEnrollmentFactory, UserFactory
from tests.learners import DEMO_COURSE, World, enterprise_enrollments, realizations

RUN = "course-v1:edX+DemoX+Demo_Course"
OTHER_RUN = "course-v1:edX+Other+2030"


# --- reference backend ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestReferenceBackend:
    def test_is_the_default(self):
        assert isinstance(get_enrollment_backend(), ReferenceEnrollmentBackend)

    def test_the_former_dotted_path_still_names_it(self, settings):
        from default_enrollments.backends import reference  # noqa: PLC0415 (the alias module under test)

        settings.DEFAULT_ENROLLMENTS = {"ENROLLMENT_BACKEND": "default_enrollments.backends.reference."
                                                              "ReferenceEnrollmentBackend"}

        assert reference.ReferenceEnrollmentBackend is ReferenceEnrollmentBackend
        assert type(get_enrollment_backend()) is ReferenceEnrollmentBackend

    def test_enroll_creates_an_active_enrollment_in_the_mode(self):
        user = UserFactory()
        ReferenceEnrollmentBackend().enroll(user, RUN, "verified")

        assert ReferenceEnrollmentBackend().get_enrollments(user, [RUN]) == {RUN: EnrollmentState("verified", True)}

    def test_enroll_upgrades_and_reactivates(self):
        enrollment = CourseEnrollmentFactory(mode="audit", is_active=False)
        ReferenceEnrollmentBackend().enroll(enrollment.user, RUN, "verified")

        enrollment.refresh_from_db()
        assert (enrollment.mode, enrollment.is_active) == ("verified", True)
        assert CourseEnrollment.objects.count() == 1

    def test_inactive_user_is_refused(self):
        user = UserFactory(is_active=False)
        with pytest.raises(EnrollmentError, match="inactive"):
            ReferenceEnrollmentBackend().enroll(user, RUN, "verified")
        assert not CourseEnrollment.objects.exists()

    def test_get_enrollments_answers_in_the_keys_asked_and_only_for_them(self):
        enrollment = CourseEnrollmentFactory(course_id=RUN, mode="audit")
        CourseEnrollmentFactory(user=enrollment.user, course_id=OTHER_RUN)

        answer = ReferenceEnrollmentBackend().get_enrollments(enrollment.user, [RUN.upper()])

        assert answer == {RUN.upper(): EnrollmentState("audit", True)}


# --- Open edX backend -----------------------------------------------------------------------------


def test_openedx_backend_imports_the_platform_only_when_used():
    assert "openedx.core.djangoapps.enrollments.api" not in sys.modules
    backend = OpenEdxEnrollmentBackend()  # constructing it outside an LMS is fine

    with pytest.raises(EnrollmentError, match="needs edx-platform"):
        backend.enroll(UserFactory.build(username="outside"), RUN, "verified")


class TestOpenEdxBackend:
    user = UserFactory.build(username="maria")

    def test_enroll_adds_a_new_enrollment(self, platform):
        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified")

        assert platform.ENROLLMENTS[("maria", RUN.lower())]["mode"] == "verified"
        assert [call[0] for call in platform.CALLS] == ["get_enrollment", "add_enrollment"]

    def test_enroll_upgrades_an_audit_enrollment(self, platform):
        platform.add_enrollment("maria", RUN, mode="audit")
        platform.CALLS.clear()

        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified")

        assert platform.get_enrollment("maria", RUN)["mode"] == "verified"
        assert ("update_enrollment", "maria", RUN, "verified", True) in platform.CALLS

    def test_enroll_reactivates_an_inactive_enrollment(self, platform):
        platform.add_enrollment("maria", RUN, mode="verified", is_active=False)

        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified")

        assert platform.get_enrollment("maria", RUN)["is_active"] is True

    def test_enroll_leaves_a_matching_enrollment_alone(self, platform):
        platform.add_enrollment("maria", RUN, mode="verified")
        platform.CALLS.clear()

        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified")

        assert [call[0] for call in platform.CALLS] == ["get_enrollment"]

    @pytest.mark.parametrize(
        ("course", "mode", "message"),
        [(OTHER_RUN, "verified", "CourseNotFoundError"), (RUN, "professional", "CourseModeNotFoundError")],
    )
    def test_platform_refusals_become_enrollment_errors(self, platform, course, mode, message):
        with pytest.raises(EnrollmentError, match=message):
            OpenEdxEnrollmentBackend().enroll(self.user, course, mode)
        assert not platform.ENROLLMENTS

    def test_errors_carry_ids_not_the_username_nor_the_lms_answer(self, platform):
        """The platform's own message names the learner ("maria is already enrolled…"): it is not passed on."""
        user = UserFactory.build(pk=4242, username="maria")
        with pytest.raises(EnrollmentError) as refused:
            OpenEdxEnrollmentBackend().enroll(user, OTHER_RUN, "verified")

        message = str(refused.value)
        assert "4242" in message and OTHER_RUN in message
        assert "maria" not in message and "No course" not in message
        assert refused.value.__cause__ is None and refused.value.__suppress_context__

    def test_get_enrollments_of_no_keys_asks_nothing(self, platform):
        assert OpenEdxEnrollmentBackend().get_enrollments(self.user, []) == {}
        assert platform.CALLS == []


# --- the Open edX backend inside realization ---------------------------------------------------------


@pytest.mark.django_db
def test_realization_through_the_openedx_backend(platform, catalog_server, settings):
    settings.DEFAULT_ENROLLMENTS = {
        **settings.DEFAULT_ENROLLMENTS,
        "ENROLLMENT_BACKEND": "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend",
    }
    world = World(catalog_server)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])  # the LMS does not know this course: it refuses
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    learner = world.learner()

    outcomes = {outcome.content_key: outcome for outcome in api.realize_default_enrollments(learner)}

    assert outcomes[DEMO_COURSE].status == OutcomeStatus.ENROLLED
    assert (outcomes["edX+Other"].status, outcomes["edX+Other"].reason) == (
        OutcomeStatus.FAILED, Reason.ENROLLMENT_REFUSED
    )
    assert platform.get_enrollment(learner.username, RUN)["mode"] == "verified"
    assert enterprise_enrollments(learner) == [RUN]
    assert realizations(learner) == [(DEMO_COURSE, RUN)]
    assert not CourseEnrollment.objects.exists()  # the reference LMS table is not involved

    platform.CALLS.clear()
    outcomes = {outcome.content_key: outcome for outcome in api.realize_default_enrollments(learner)}
    assert outcomes[DEMO_COURSE].status == OutcomeStatus.ALREADY_ENROLLED
    assert not [call for call in platform.CALLS if call[0].endswith("_enrollment") and call[2] == RUN]
