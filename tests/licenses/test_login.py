"""
The subscription-license policy through real logins, against a loopback catalog and a loopback license-manager:
a licensed learner is enrolled; every learner without a license that pays for the run is not, and the
learner-status says why; an outage of license-manager never fails or slows the login and writes nothing.
"""
import logging
import time
from uuid import UUID

import pytest
from django.urls import reverse

from default_enrollments import realization
from default_enrollments.models import get_enterprise_customer_user_model
from tests.held_licenses import fulfillments, sources
from tests.learners import DEMO_COURSE, DEMO_RUN, lms_enrollments, nothing_written, realizations

pytestmark = pytest.mark.django_db(transaction=True)

LEARNER_STATUS = "default_enrollments:default-enterprise-enrollment-intentions-learner-status"


@pytest.fixture
def outcome_log(caplog):
    caplog.set_level(logging.DEBUG, logger="default_enrollments.outcomes")
    return lambda: [record for record in caplog.records if record.name == "default_enrollments.outcomes"]


def log_in(client, user) -> None:
    assert client.login(username=user.username, password="password")


def learner_status(client, world) -> dict:
    response = client.get(reverse(LEARNER_STATUS), {"enterprise_customer_uuid": str(world.customer.uuid)})
    assert response.status_code == 200, response.content
    statuses = response.json()["enrollment_statuses"]
    return {
        "enrollable": [(item["content_key"], item["reason"]) for item in statuses["needs_enrollment"]["enrollable"]],
        "not_enrollable": [
            (item["content_key"], item["reason"]) for item in statuses["needs_enrollment"]["not_enrollable"]
        ],
        "already_enrolled": [item["content_key"] for item in statuses["already_enrolled"]],
    }


def test_learner_with_an_activated_license_is_enrolled_at_login(world, license_manager, client):
    world.demo_course()
    world.intention()
    learner = world.learner()
    license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)

    log_in(client, learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert realizations(learner) == [(DEMO_COURSE, DEMO_RUN)]
    assert learner_status(client, world)["already_enrolled"] == [DEMO_COURSE]


def test_the_license_license_manager_names_is_recorded_with_the_enrollment(world, license_manager, client):
    world.demo_course()
    world.intention()
    learner = world.learner()
    license_uuid = license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)

    log_in(client, learner)

    assert fulfillments(learner) == [(DEMO_RUN, UUID(license_uuid), False)]
    assert sources(learner) == [(DEMO_RUN, "customer_admin")]


def test_the_decision_names_the_license_that_pays(world, license_manager):
    world.demo_course()
    intention = world.intention()
    learner = world.learner()
    license_uuid = license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)
    link = get_enterprise_customer_user_model()._default_manager.get(user_id=learner.id)

    [evaluation] = realization.evaluate_intentions(learner, link, [intention])

    assert evaluation.eligibility.eligible
    assert str(evaluation.eligibility.license_uuid) == license_uuid
    assert evaluation.eligibility.mode == "verified"


def test_of_two_licenses_the_one_whose_catalog_holds_the_run_pays(world, license_manager, catalog_server):
    world.demo_course()
    intention = world.intention()
    learner = world.learner()
    other_catalog = catalog_server.add_catalog(world.customer.uuid, ["edX+Other"])
    license_manager.add_license(learner.email, world.customer.uuid, other_catalog)
    paying = license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)
    link = get_enterprise_customer_user_model()._default_manager.get(user_id=learner.id)

    [evaluation] = realization.evaluate_intentions(learner, link, [intention])

    assert str(evaluation.eligibility.license_uuid) == paying


CASES = {
    "no license": ({}, "no_license"),
    "revoked": ({"status": "revoked"}, "no_license"),
    "unassigned": ({"status": "unassigned"}, "no_license"),
    "expired plan": ({"expired": True}, "no_license"),
    "inactive plan": ({"is_active": False}, "no_license"),
    "assigned, not activated": ({"status": "assigned"}, "license_not_activated"),
    "another catalog": ({"other_catalog": True}, "license_not_for_run"),
}


@pytest.mark.parametrize("case", CASES)
def test_learner_without_a_license_for_the_run_is_not_enrolled_and_status_says_why(
    world, license_manager, client, outcome_log, case
):
    options, reason = CASES[case]
    world.demo_course()
    world.intention()
    learner = world.learner()
    if case != "no license":
        options = dict(options)
        catalog = world.catalog_uuid
        if options.pop("other_catalog", False):
            catalog = world.server.add_catalog(world.customer.uuid, ["edX+Other"])
        license_manager.add_license(learner.email, world.customer.uuid, catalog, **options)

    log_in(client, learner)

    assert nothing_written(learner)
    assert [(record.outcome, record.reason) for record in outcome_log()] == [("skipped", reason)]
    assert learner_status(client, world)["not_enrollable"] == [(DEMO_COURSE, reason)]


def test_license_of_another_customer_does_not_count(world, license_manager, client):
    from tests.factories import EnterpriseCustomerFactory  # noqa: PLC0415

    world.demo_course()
    world.intention()
    learner = world.learner()
    other = EnterpriseCustomerFactory()
    license_manager.add_license(learner.email, other.uuid, world.catalog_uuid)

    log_in(client, learner)

    assert nothing_written(learner)
    assert learner_status(client, world)["not_enrollable"] == [(DEMO_COURSE, "no_license")]


def test_a_run_without_a_mode_is_no_mode_even_with_a_license(world, license_manager, client):
    from tests.catalog_server import course_run  # noqa: PLC0415

    world.course("edX+Credit", [course_run("course-v1:edX+Credit+1T2030", seats=("credit",))])
    world.intention("edX+Credit")
    learner = world.learner()
    license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)

    log_in(client, learner)

    assert nothing_written(learner)
    assert learner_status(client, world)["not_enrollable"] == [("edX+Credit", "no_enrollable_mode")]


# --- license-manager misbehaves --------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["down", "500", "401", "garbage", "hang", "drip", "large"])
def test_login_survives_license_manager_and_the_next_login_enrolls(
    world, license_manager, client, outcome_log, failure
):
    budget = 1.0
    world.settings(LOGIN_TIME_BUDGET=budget)
    world.demo_course()
    world.intention()
    learner = world.learner()
    license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)
    if failure == "down":
        license_manager.go_down()
    elif failure in ("500", "401"):
        license_manager.fail_with(int(failure))
    elif failure == "garbage":
        license_manager.answer_garbage()
    elif failure == "hang":
        license_manager.hang(10)
    elif failure == "drip":
        license_manager.drip(0.05)
    else:
        license_manager.answer_large(2 * 1024 * 1024)

    started = time.monotonic()
    log_in(client, learner)
    elapsed = time.monotonic() - started

    assert nothing_written(learner)
    assert elapsed < budget + 1.0, f"the login took {elapsed:.2f}s with a {budget}s budget"
    [outcome] = outcome_log()
    assert (outcome.outcome, outcome.reason) == ("failed", "license_manager_unavailable")

    if failure == "down":
        license_manager.come_back()
    license_manager.recover()
    client.logout()
    log_in(client, learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


def test_learner_status_reports_license_manager_down_as_not_enrollable(world, license_manager, client):
    world.demo_course()
    world.intention()
    learner = world.learner()
    license_manager.go_down()
    log_in(client, learner)

    assert learner_status(client, world)["not_enrollable"] == [(DEMO_COURSE, "license_manager_unavailable")]


def test_license_manager_is_asked_once_per_learner_and_customer_for_many_intentions(world, license_manager, client):
    from tests.catalog_server import course_run  # noqa: PLC0415

    world.demo_course()
    world.intention()
    for number in range(5):
        key = f"edX+C{number}"
        world.course(key, [course_run(f"course-v1:edX+C{number}+1T2030")])
        world.intention(key)
    learner = world.learner()
    license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)

    log_in(client, learner)

    assert len(lms_enrollments(learner)) == 6
    assert len(license_manager.lookups) == 1


def test_the_email_is_sent_but_never_logged(world, license_manager, client, app_settings_, caplog):
    caplog.set_level(logging.DEBUG)
    world.demo_course()
    world.intention()
    learner = world.learner()
    license_manager.add_license(learner.email, world.customer.uuid, world.catalog_uuid)
    license_manager.fail_with(503, times=1)  # a retry, and its warning

    log_in(client, learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert [request.query["user_email"] for request in license_manager.lookups] == [[learner.email]] * 2
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "license_manager_request_failed" in logged
    assert learner.email not in logged
    assert learner.email.split("@")[0] + "%40" not in logged


def test_without_license_manager_configured_nobody_is_enrolled(world, client, app_settings_, outcome_log):
    app_settings_(LICENSE_MANAGER_API_URL=None)
    world.demo_course()
    world.intention()
    learner = world.learner()

    log_in(client, learner)

    assert nothing_written(learner)
    assert [(record.outcome, record.reason) for record in outcome_log()] == [("failed", "license_manager_unavailable")]
