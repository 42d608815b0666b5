"""
What stops realization at run time, through real logins and the backfill command: the platform's enterprise
switch, the operator's waffle kill switch and a customer's opt-out. Each takes effect on the next login,
without a restart; turning it back lets the next login realize what was missed.
"""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from waffle.models import Switch

from default_enrollments.models import CustomerOptOut, DefaultEnterpriseEnrollmentRealization
from default_enrollments.toggles import DISABLE_REALIZATION_SWITCH
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments, realizations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(catalog_server):
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    return world


def log_in_and_out(client, user) -> None:
    assert client.login(username=user.username, password="password")
    client.logout()


def set_kill_switch(active: bool) -> None:
    """As an operator does in the admin's waffle pages (a save, so waffle's cache is refreshed)."""
    switch, _ = Switch.objects.get_or_create(name=DISABLE_REALIZATION_SWITCH)
    switch.active = active
    switch.save()


def backfill() -> str:
    out = StringIO()
    call_command("realize_default_enrollments", stdout=out, stderr=StringIO())
    return out.getvalue()


# --- enterprise integration switched off in the platform ------------------------------------------------


@pytest.mark.parametrize(
    "platform_setting",
    [
        {"ENABLE_ENTERPRISE_INTEGRATION": False},  # what edx-enterprise reads
        {"FEATURES": {"ENABLE_ENTERPRISE_INTEGRATION": False}},  # an LMS's feature flags
    ],
    ids=["setting", "FEATURES"],
)
def test_a_login_enrolls_nobody_while_enterprise_integration_is_off(world, client, settings, platform_setting):
    if hasattr(settings, "ENABLE_ENTERPRISE_INTEGRATION"):
        del settings.ENABLE_ENTERPRISE_INTEGRATION  # an LMS without the top-level name reads FEATURES
    for name, value in platform_setting.items():
        setattr(settings, name, value)
    learner = world.learner()

    log_in_and_out(client, learner)

    assert lms_enrollments(learner) == {}
    assert realizations(learner) == []


def test_a_login_enrolls_when_the_lms_features_turn_enterprise_integration_on(world, client, settings):
    if hasattr(settings, "ENABLE_ENTERPRISE_INTEGRATION"):
        del settings.ENABLE_ENTERPRISE_INTEGRATION
    settings.FEATURES = {"ENABLE_ENTERPRISE_INTEGRATION": True}
    learner = world.learner()

    log_in_and_out(client, learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


# --- the operator's kill switch --------------------------------------------------------------------------


def test_the_kill_switch_stops_the_next_login_and_releasing_it_resumes(world, client):
    learner = world.learner()
    set_kill_switch(True)

    log_in_and_out(client, learner)
    assert lms_enrollments(learner) == {}

    set_kill_switch(False)
    log_in_and_out(client, learner)
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert len(realizations(learner)) == 1


def test_the_kill_switch_stops_the_backfill(world):
    learners = [world.learner() for _ in range(2)]
    set_kill_switch(True)

    backfill()
    assert [lms_enrollments(learner) for learner in learners] == [{}, {}]

    set_kill_switch(False)
    backfill()
    assert [len(realizations(learner)) for learner in learners] == [1, 1]


def test_without_waffle_installed_the_switch_is_simply_absent(world, client, settings):
    set_kill_switch(True)  # a row left from a host that had waffle, now unread
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "waffle"]
    learner = world.learner()

    log_in_and_out(client, learner)

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


# --- a customer's opt-out --------------------------------------------------------------------------------


def test_an_opt_out_stops_the_next_login_and_removing_it_resumes(world, client):
    learner = world.learner()
    opt_out = CustomerOptOut.objects.create(enterprise_customer_uuid=world.customer.uuid, reason="pilot paused")

    log_in_and_out(client, learner)
    assert lms_enrollments(learner) == {}

    opt_out.delete()
    log_in_and_out(client, learner)
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


def test_an_opt_out_stops_only_that_customer(world, client, catalog_server):
    other = World(catalog_server)
    other.demo_course()
    other.intention(DEMO_COURSE)
    learner = world.learner()
    other.link(learner)
    CustomerOptOut.objects.create(enterprise_customer_uuid=world.customer.uuid)

    log_in_and_out(client, learner)

    realized_for = DefaultEnterpriseEnrollmentRealization.objects.filter(
        realized_enrollment__enterprise_customer_user__user_id=learner.id
    ).values_list("intended_enrollment__enterprise_customer_id", flat=True)
    assert list(realized_for) == [other.customer.uuid]


def test_an_opt_out_stops_the_backfill_for_that_customer(world):
    learner = world.learner()
    CustomerOptOut.objects.create(enterprise_customer_uuid=world.customer.uuid)

    backfill()

    assert lms_enrollments(learner) == {}
