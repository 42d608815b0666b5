"""
Realization through real logins (the test client's ``login``, the admin login view, a plain login form)
against the loopback catalog. The work runs after the login transaction commits, so these tests commit.
"""
import logging
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openedx_events.learning.data import UserData, UserPersonalData
from openedx_events.learning.signals import SESSION_LOGIN_COMPLETED

from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import get_enterprise_customer_user_model
from tests.catalog_server import course_run
from tests.learners import (
    DEMO_COURSE,
    DEMO_RUN,
    RefusingEnrollmentBackend,
    World,
    lms_enrollments,
    nothing_written,
    realizations,
)

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN_VIEWS = ["client.login", "/admin/login/", "/login/"]


@pytest.fixture
def world(catalog_server):
    return World(catalog_server)


@pytest.fixture
def app_settings_(settings):
    """Update ``DEFAULT_ENROLLMENTS`` keys, keeping the catalog server's."""

    def update(**values):
        settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, **values}

    return update


@pytest.fixture
def outcome_log(caplog):
    """The outcome log lines (one per learner and intention realized), by trigger."""
    caplog.set_level(logging.DEBUG, logger="default_enrollments.outcomes")

    def lines(source=None):
        return [
            record for record in caplog.records
            if record.name == "default_enrollments.outcomes" and source in (None, getattr(record, "source", None))
        ]

    return lines


def log_in(client, user, via="client.login") -> None:
    """Log ``user`` in through ``via`` and check that the login itself succeeded."""
    if via == "client.login":
        assert client.login(username=user.username, password="password")
        return
    response = client.post(via, {"username": user.username, "password": "password", "next": "/admin/"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session.get("_auth_user_id") == str(user.pk)


def learner_for(world, via, **link):
    """Admin login admits staff only, so the learner who logs in there is also staff."""
    return world.learner(is_staff=via == "/admin/login/", **link)


@pytest.mark.parametrize("via", LOGIN_VIEWS)
def test_login_enrolls_in_the_advertised_run_in_the_best_mode(world, client, via):
    world.demo_course()
    world.intention(DEMO_COURSE)
    learner = learner_for(world, via)

    log_in(client, learner, via)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


@pytest.mark.parametrize("via", LOGIN_VIEWS)
def test_login_enrolls_in_an_explicit_run(world, client, via):
    explicit = "course-v1:edX+DemoX+2T2030"
    world.course(DEMO_COURSE, [explicit, DEMO_RUN], advertised=DEMO_RUN)
    world.intention(explicit)
    learner = learner_for(world, via)

    log_in(client, learner, via)

    assert lms_enrollments(learner) == {explicit: ("verified", True)}
    assert realizations(learner) == [(explicit, explicit)]


def test_a_cold_login_asks_the_catalog_over_one_connection(world, client):
    world.demo_course()
    world.course("edX+Other", ["course-v1:edX+Other+1T2030"], advertised="course-v1:edX+Other+1T2030")
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    learner = world.learner()
    world.server.reset_counts()

    log_in(client, learner)

    assert len(lms_enrollments(learner)) == 2
    assert world.server.catalog_requests >= 2
    assert world.server.catalog_connections == 1, "the login's catalog questions share one kept-alive connection"


@pytest.mark.parametrize("via", LOGIN_VIEWS)
def test_second_login_writes_nothing_and_asks_the_catalog_nothing(world, client, via):
    world.demo_course()
    world.intention()
    learner = learner_for(world, via)
    log_in(client, learner, via)
    client.logout()
    world.server.reset_counts()
    enrolled_at = CourseEnrollment.objects.get().modified

    log_in(client, learner, via)

    assert world.server.catalog_requests == 0
    assert CourseEnrollment.objects.get().modified == enrolled_at
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


def test_learner_who_unenrolled_is_not_enrolled_again_at_login(world, client):
    world.demo_course()
    world.intention()
    learner = world.learner()
    log_in(client, learner)
    CourseEnrollment.objects.filter(user=learner).update(is_active=False)
    enrollment = CourseEnrollment.objects.get(user=learner)
    enrollment.save()  # the host's post_save marks the enterprise enrollment unenrolled
    client.logout()

    log_in(client, learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", False)}


@pytest.mark.parametrize("via", ["client.login", "/admin/login/"])
def test_login_upgrades_an_audit_enrollment_when_a_paid_mode_exists(world, client, via):
    world.demo_course()
    world.intention()
    learner = learner_for(world, via)
    CourseEnrollment.objects.create(user=learner, course_id=DEMO_RUN, mode="audit")

    log_in(client, learner, via)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


@pytest.mark.parametrize(
    "case", ["closed run", "outside the catalogs", "soft-deleted intention", "inactive link", "unlinked"]
)
@pytest.mark.parametrize("via", ["client.login", "/admin/login/"])
def test_login_writes_nothing_when_there_is_nothing_to_realize(world, client, via, case):
    link = {}
    if case == "closed run":
        world.course(DEMO_COURSE, [course_run(DEMO_RUN, is_enrollable=False)])
    elif case == "outside the catalogs":
        world.course(DEMO_COURSE, [DEMO_RUN], in_catalog=False)
    else:
        world.demo_course()
    intention = world.intention()
    if case == "soft-deleted intention":
        intention.delete()
    elif case == "inactive link":
        link = {"active": False}
    elif case == "unlinked":
        link = {"linked": False}
    learner = learner_for(world, via, **link)

    log_in(client, learner, via)

    assert nothing_written(learner)


def test_backend_refusal_at_login_leaves_no_rows_for_that_intention(world, client, app_settings_):
    app_settings_(ENROLLMENT_BACKEND="tests.learners.RefusingEnrollmentBackend")
    RefusingEnrollmentBackend.refused = {DEMO_RUN}
    world.demo_course()
    world.course("edX+Other", ["course-v1:edX+Other+1T2030"])
    world.intention(DEMO_COURSE)
    world.intention("edX+Other")
    learner = world.learner()

    log_in(client, learner, "/login/")

    assert lms_enrollments(learner) == {"course-v1:edX+Other+1T2030": ("verified", True)}
    assert realizations(learner) == [("edX+Other", "course-v1:edX+Other+1T2030")]


# --- the catalog misbehaves ----------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["down", "500", "garbage", "hang"])
@pytest.mark.parametrize("via", ["client.login", "/admin/login/"])
def test_login_survives_the_catalog_and_the_next_login_realizes(world, client, app_settings_, via, failure):
    budget = 1.0
    app_settings_(LOGIN_TIME_BUDGET=budget)
    world.demo_course()
    world.intention()
    learner = learner_for(world, via)
    if failure == "down":
        world.server.go_down()
    elif failure == "500":
        world.server.fail_with(500)
    elif failure == "garbage":
        world.server.answer_garbage()
    else:
        world.server.hang(10)

    started = time.monotonic()
    log_in(client, learner, via)
    elapsed = time.monotonic() - started

    assert nothing_written(learner)
    assert elapsed < budget + 1.0, f"the login took {elapsed:.2f}s with a {budget}s budget"

    if failure == "down":
        world.server.come_back()
    world.server.recover()
    client.logout()
    log_in(client, learner, via)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


def test_a_broken_backend_never_reaches_the_login_view(world, client, app_settings_, caplog):
    app_settings_(ENROLLMENT_BACKEND="tests.learners.BrokenEnrollmentBackend")
    world.demo_course()
    world.intention()
    learner = world.learner()

    log_in(client, learner, "/login/")

    assert nothing_written(learner)
    [failure] = [record for record in caplog.records if record.name == "default_enrollments.handlers"]
    message = failure.getMessage()
    assert f"user={learner.pk}" in message and "error=RuntimeError" in message and "Traceback" in message


# --- switches and triggers -----------------------------------------------------------------------------


def test_realize_on_login_false_turns_it_off(world, client, app_settings_):
    app_settings_(REALIZE_ON_LOGIN=False)
    world.demo_course()
    world.intention()
    learner = world.learner()

    log_in(client, learner, "/login/")

    assert nothing_written(learner)
    assert world.server.catalog_requests == 0


def test_session_login_completed_after_a_django_login_realizes_once(world, client, outcome_log):
    """edx-platform sends both signals for one login; the learner is realized once."""
    world.demo_course()
    world.intention()
    learner = world.learner()

    log_in(client, learner)
    SESSION_LOGIN_COMPLETED.send_event(user=user_data(learner))

    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    assert [record.source for record in outcome_log()] == ["login"]


def test_session_login_completed_alone_realizes(world, outcome_log):
    world.demo_course()
    world.intention()
    learner = world.learner()

    SESSION_LOGIN_COMPLETED.send_event(user=user_data(learner))

    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    assert [record.source for record in outcome_log()] == ["session_login"]


def user_data(user) -> UserData:
    return UserData(
        id=user.pk, is_active=True,
        pii=UserPersonalData(username=user.username, email=user.email, name=user.get_full_name()),
    )


def test_a_new_link_realizes_that_customer(world):
    world.demo_course()
    world.intention()

    learner = world.learner(signals=True)  # creates the active, linked customer user

    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]


def test_a_new_link_to_an_inactive_customer_enrolls_nothing(world):
    world.demo_course()
    world.intention()
    world.customer.active = False
    world.customer.save()

    learner = world.learner(signals=True)

    assert nothing_written(learner)


def test_login_of_a_learner_linked_to_an_inactive_customer_enrolls_nothing(world, client):
    world.demo_course()
    world.intention()
    learner = world.learner()
    world.customer.active = False
    world.customer.save()

    log_in(client, learner)

    assert nothing_written(learner)


def test_a_reactivated_link_realizes_and_an_unchanged_save_does_not(world, outcome_log):
    world.demo_course()
    world.intention()
    learner = world.learner(active=False, signals=True)
    assert nothing_written(learner)
    link = get_enterprise_customer_user_model()._default_manager.get(user_id=learner.pk)

    link.active = True
    link.save()

    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    count = len(outcome_log())
    link.save()
    assert len(outcome_log()) == count


# --- cost ----------------------------------------------------------------------------------------------


def warm_login_queries(world, client, n_intentions: int) -> int:
    for number in range(n_intentions):
        key = f"edX+Course{number}"
        world.course(key, [f"course-v1:edX+Course{number}+1T2030"])
        world.intention(key)
    learner = world.learner()
    log_in(client, learner)  # realizes everything once
    client.logout()
    assert len(realizations(learner)) == n_intentions
    world.server.reset_counts()

    with CaptureQueriesContext(connection) as queries:
        log_in(client, learner)
    assert world.server.catalog_requests == 0
    return len(queries)


def test_warm_login_with_nothing_to_do_costs_the_same_for_1_and_50_intentions(catalog_server, client):
    one = warm_login_queries(World(catalog_server), client, 1)
    client.logout()
    fifty = warm_login_queries(World(catalog_server), client, 50)

    assert one == fifty
