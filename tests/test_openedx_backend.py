"""
The Open edX backend against the stand-in for edx-platform (tests/fake_openedx): the modes the LMS offers today
(``CourseMode``), the learner's enrollments in the runs at hand (``CourseEnrollment``, one query), and the customer
an enrollment is made for (``add_enrollment(..., enterprise_uuid=...)``).
"""
from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from default_enrollments import api
from default_enrollments.backends.openedx import OpenEdxEnrollmentBackend
from default_enrollments.data import EnrollmentState, OutcomeStatus
from default_enrollments.exceptions import EnrollmentError
from default_enrollments.validation import validate_intentions
from tests.catalog_server import course_run
from tests.factories import StaffUserFactory, UserFactory
from tests.learners import DEMO_COURSE, DEMO_RUN, World
from tests.rest_api.conftest import learner_status_url, list_url, logged_in

RUN = DEMO_RUN
OTHER_RUN = "course-v1:edX+Other+2030"
OPEN_EDX_BACKEND = "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend"
YESTERDAY = datetime.now(UTC) - timedelta(days=1)
NEXT_YEAR = datetime.now(UTC) + timedelta(days=365)


def lms_offers(platform, run: str, modes: dict[str, datetime | None]) -> None:
    """The LMS's ``CourseMode`` rows for the run: each mode with its upgrade deadline (None: none)."""
    platform.COURSE_MODES[run.lower()] = list(modes)
    for mode, deadline in modes.items():
        if deadline is not None:
            platform.MODE_EXPIRATIONS[(run.lower(), mode)] = deadline


# --- reading the LMS ----------------------------------------------------------------------------------


class TestCourseModes:
    def test_the_modes_of_every_run_come_from_one_query_without_expired_ones(self, platform):
        lms_offers(platform, RUN, {"audit": None, "verified": YESTERDAY})
        lms_offers(platform, OTHER_RUN, {"audit": None, "professional": None, "verified": NEXT_YEAR})

        answer = OpenEdxEnrollmentBackend().get_course_modes([RUN.upper().replace("COURSE-V1", "course-v1"),
                                                              OTHER_RUN])

        assert answer == {"course-v1:EDX+DEMOX+DEMO_COURSE": ("audit",),
                          OTHER_RUN: ("audit", "professional", "verified")}
        assert platform.READS == [("CourseMode", 5)]

    def test_a_run_with_no_mode_left_offers_the_lms_default_mode(self, platform):
        """What the LMS's own enrollment API accepts then: its default mode (``COURSE_MODE_DEFAULTS``)."""
        lms_offers(platform, RUN, {"verified": YESTERDAY})
        platform.COURSE_MODES[OTHER_RUN.lower()] = []

        answer = OpenEdxEnrollmentBackend().get_course_modes([RUN, OTHER_RUN])

        assert answer == {RUN: ("audit",), OTHER_RUN: ("audit",)}

    def test_keys_that_do_not_parse_are_left_to_the_catalog(self, platform):
        assert OpenEdxEnrollmentBackend().get_course_modes(["edX+DemoX", "not a key", ""]) == {}
        assert platform.READS == []


class TestEnrollments:
    user = UserFactory.build(pk=7, username="maria")

    def test_one_query_for_the_runs_asked_answered_in_the_keys_asked(self, platform):
        platform.COURSE_MODES[OTHER_RUN.lower()] = ["audit"]
        platform.add_enrollment("maria", RUN, mode="audit", is_active=False)
        platform.add_enrollment("maria", OTHER_RUN, mode="audit")
        platform.add_enrollment("someone-else", RUN, mode="verified")
        platform.READS.clear()
        asked = "course-v1:EDX+DEMOX+DEMO_COURSE"

        answer = OpenEdxEnrollmentBackend().get_enrollments(self.user, [asked, "course-v1:edX+None+1", "not a key"])

        assert answer == {asked: EnrollmentState("audit", False)}
        assert platform.READS == [("CourseEnrollment", 1)]
        assert "get_enrollments" not in [call[0] for call in platform.CALLS]

    def test_no_keys_no_query(self, platform):
        assert OpenEdxEnrollmentBackend().get_enrollments(self.user, ["not a key"]) == {}
        assert platform.READS == []


# --- writing: the customer the enrollment is for, and errors without the learner's name ---------------------


class TestEnroll:
    user = UserFactory.build(pk=4242, username="maria")
    customer = uuid.UUID("d3f0a1e5-0000-4000-8000-000000000001")

    def test_the_lms_is_told_the_customer_when_it_accepts_enterprise_uuid(self, platform):
        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified", enterprise_customer_uuid=self.customer)

        assert ("add_enrollment", "maria", RUN, "verified", True, str(self.customer)) in platform.CALLS
        assert platform.get_enrollment("maria", RUN)["mode"] == "verified"

    def test_an_lms_whose_add_enrollment_predates_enterprise_uuid_still_enrolls(self, platform, monkeypatch):
        monkeypatch.setattr(platform, "add_enrollment", platform.add_enrollment_of_older_releases)

        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified", enterprise_customer_uuid=self.customer)

        assert ("add_enrollment", "maria", RUN, "verified", True) in platform.CALLS
        assert platform.get_enrollment("maria", RUN)["mode"] == "verified"

    def test_an_upgrade_goes_through_update_enrollment_which_takes_no_customer(self, platform):
        platform.add_enrollment("maria", RUN, mode="audit")

        OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified", enterprise_customer_uuid=self.customer)

        assert ("update_enrollment", "maria", RUN, "verified", True) in platform.CALLS
        assert platform.get_enrollment("maria", RUN)["mode"] == "verified"

    def test_an_answer_that_is_not_the_enrollment_asked_for_is_not_echoed(self, platform, monkeypatch):
        """The LMS's answer carries the username and whatever else it likes: the error names ids only."""
        def odd_answer(username, course_id, **kwargs):
            return {"user": username, "mode": f"honor for {username} <maria@example.com>", "is_active": False}

        monkeypatch.setattr(platform, "add_enrollment", odd_answer)

        with pytest.raises(EnrollmentError) as refused:
            OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified", enterprise_customer_uuid=self.customer)

        message = str(refused.value)
        assert "4242" in message and RUN in message and "verified" in message
        assert "maria" not in message and "honor" not in message

    def test_an_answer_that_is_not_a_mapping_is_a_refusal(self, platform, monkeypatch):
        monkeypatch.setattr(platform, "add_enrollment", lambda username, course_id, **kwargs: ["maria"])

        with pytest.raises(EnrollmentError, match="4242"):
            OpenEdxEnrollmentBackend().enroll(self.user, RUN, "verified")


# --- the LMS's modes in realization, learner status and validation -------------------------------------------


@pytest.fixture
def lms_world(platform, catalog_server, settings):
    """The demo course in the catalog (audit and verified seats), the Open edX backend, one intention."""
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND": OPEN_EDX_BACKEND}
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    return world


def realize_demo(learner):
    [outcome] = api.realize_default_enrollments(learner)
    return outcome


@pytest.mark.django_db
class TestModesFromTheLms:
    def test_an_expired_verified_mode_enrolls_in_audit(self, platform, lms_world):
        lms_offers(platform, RUN, {"audit": None, "verified": YESTERDAY})
        learner = lms_world.learner()

        outcome = realize_demo(learner)

        assert (outcome.status, outcome.mode) == (OutcomeStatus.ENROLLED, "audit")
        assert platform.get_enrollment(learner.username, RUN)["mode"] == "audit"

    def test_a_professional_mode_the_catalog_does_not_list_is_chosen(self, platform, lms_world):
        lms_offers(platform, RUN, {"audit": None, "professional": None})
        learner = lms_world.learner()

        outcome = realize_demo(learner)

        assert (outcome.status, outcome.mode) == (OutcomeStatus.ENROLLED, "professional")
        assert platform.get_enrollment(learner.username, RUN)["mode"] == "professional"

    def test_an_audit_learner_is_not_upgraded_past_the_upgrade_deadline(self, platform, lms_world):
        lms_offers(platform, RUN, {"audit": None, "verified": YESTERDAY})
        learner = lms_world.learner()
        platform.add_enrollment(learner.username, RUN, mode="audit")
        platform.CALLS.clear()

        outcome = realize_demo(learner)

        assert outcome.status == OutcomeStatus.ALREADY_ENROLLED
        assert platform.get_enrollment(learner.username, RUN)["mode"] == "audit"
        assert not [call for call in platform.CALLS if call[0] in ("add_enrollment", "update_enrollment")]

    def test_an_unreadable_course_mode_table_falls_back_to_the_catalog(self, platform, lms_world, monkeypatch,
                                                                        caplog):
        """An LMS whose course_modes table is missing: the query fails in the database, the login does not."""
        from common.djangoapps.course_modes.models import CourseMode  # noqa: PLC0415 (the stand-in, on the path)

        def missing_table(**lookups):
            with connection.cursor() as cursor:
                cursor.execute("SELECT mode_slug FROM course_modes_coursemode_missing")

        monkeypatch.setattr(CourseMode.objects, "filter", missing_table)
        learner = lms_world.learner()

        with caplog.at_level(logging.WARNING):
            outcome = realize_demo(learner)

        assert (outcome.status, outcome.mode) == (OutcomeStatus.ENROLLED, "verified")  # the catalog's best seat
        assert platform.get_enrollment(learner.username, RUN)["mode"] == "verified"
        warnings = [record.getMessage() for record in caplog.records if "course modes" in record.getMessage()]
        assert warnings and str(learner.pk) in warnings[0]
        assert learner.username not in caplog.text

    def test_learner_status_shows_the_lms_best_mode(self, platform, lms_world):
        lms_offers(platform, RUN, {"audit": None, "verified": YESTERDAY})
        learner = lms_world.learner()

        response = logged_in(learner).get(
            learner_status_url(), {"enterprise_customer_uuid": str(lms_world.customer.uuid)}
        )

        assert response.status_code == 200, response.content
        [intention] = response.json()["enrollment_statuses"]["needs_enrollment"]["enrollable"]
        assert (intention["course_run_key"], intention["best_mode_for_course_run"]) == (RUN, "audit")

    def test_the_intentions_api_and_admin_list_show_the_lms_best_mode(self, platform, lms_world):
        """Like edx-enterprise's intentions API, whose best mode comes from ``CourseMode`` too."""
        lms_offers(platform, RUN, {"audit": None, "verified": YESTERDAY})
        staff = logged_in(StaffUserFactory())

        listed = staff.get(list_url(), {"enterprise_customer_uuid": str(lms_world.customer.uuid)})
        admin_list = staff.get(reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist"))

        assert [row["best_mode_for_course_run"] for row in listed.json()["results"]] == ["audit"]
        assert admin_list.status_code == 200
        assert '<td class="field-best_mode">audit</td>' in admin_list.content.decode()

    def test_validation_reports_the_mode_the_lms_would_enroll_in(self, platform, lms_world):
        lms_offers(platform, RUN, {"audit": None, "verified": YESTERDAY})

        [check] = validate_intentions(lms_world.customer.uuid)

        assert check.ok
        assert check.message == f"enrolls learners in {RUN} as audit"

    def test_runs_the_lms_has_no_mode_for_fall_back_to_its_default(self, platform, lms_world, catalog_server):
        lms_world.course("edX+Verified", [course_run(OTHER_RUN, seats=["verified"])])
        lms_world.intention("edX+Verified")
        platform.COURSE_MODES[OTHER_RUN.lower()] = []  # a course the LMS knows, with no CourseMode rows
        learner = lms_world.learner()

        outcomes = {outcome.content_key: outcome for outcome in api.realize_default_enrollments(learner)}

        assert (outcomes["edX+Verified"].status, outcomes["edX+Verified"].mode) == (OutcomeStatus.ENROLLED, "audit")


@pytest.mark.django_db
def test_a_learner_with_200_other_enrollments_costs_what_a_new_learner_costs(platform, lms_world):
    """The LMS is asked about the runs at hand only: never for (and never serializing) every enrollment."""
    for number in range(200):
        run = f"course-v1:edX+Elective{number}+2030"
        platform.COURSE_MODES[run.lower()] = ["audit"]
    seasoned, new = lms_world.learner(), lms_world.learner()
    for number in range(200):
        platform.add_enrollment(seasoned.username, f"course-v1:edX+Elective{number}+2030", mode="audit")

    costs = {}
    for learner in (seasoned, new):
        platform.READS.clear()
        assert realize_demo(learner).status == OutcomeStatus.ENROLLED
        costs[learner.username] = (len(platform.READS), sum(rows for _, rows in platform.READS))

    assert costs[seasoned.username] == costs[new.username]
    assert costs[new.username][0] <= 4  # modes, enrollments, enrollments under the lock, the enrollment itself
