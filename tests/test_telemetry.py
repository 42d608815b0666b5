"""
What an Open edX host's monitoring sees: a span around each realization and the code owner of each Celery task.

The telemetry backend is edx-django-utils' own extension point (``OPENEDX_TELEMETRY``), filled here with a
backend that keeps what it was given, as New Relic or Datadog would.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from edx_django_utils.monitoring import TelemetryBackend
from edx_django_utils.monitoring.internal.code_owner.utils import clear_cached_mappings

from default_enrollments import tasks
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingBackend(TelemetryBackend):
    """Keeps spans (name, operation, attributes set inside) and attributes, like a vendor's agent would."""

    spans: list[dict] = []
    attributes: dict = {}

    def set_attribute(self, key, value):
        type(self).attributes[key] = value

    def record_exception(self):
        pass

    @contextmanager
    def _span(self, name, operation_name):
        type(self).spans.append({"name": name, "operation": operation_name})
        yield

    def create_span(self, name, operation_name=None):
        return self._span(name, operation_name)

    def tag_root_span_with_error(self, exception):
        pass

    def set_local_root_span_name(self, name, group=None, priority=None):
        pass


@pytest.fixture
def telemetry(settings):
    RecordingBackend.spans = []
    RecordingBackend.attributes = {}
    settings.OPENEDX_TELEMETRY = [f"{__name__}.RecordingBackend"]
    return RecordingBackend


def demo_world(server) -> World:
    """A customer whose one intention is edX+DemoX."""
    world = World(server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    return world


def test_a_login_realization_is_one_span_named_after_its_trigger(catalog_server, client, telemetry):
    learner = demo_world(catalog_server).learner()

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert telemetry.spans == [{"name": "default_enrollments.realize", "operation": "login"}]


def test_celery_tasks_carry_the_code_owner(catalog_server, telemetry, settings):
    settings.CODE_OWNER_MAPPINGS = {"enterprise-squad": ["default_enrollments"]}
    clear_cached_mappings()
    learner = demo_world(catalog_server).learner()

    try:
        tasks.realize_default_enrollments_task.apply(args=[learner.id])
    finally:
        clear_cached_mappings()

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    assert telemetry.attributes["code_owner_module"] == "default_enrollments.tasks"
    assert telemetry.attributes["code_owner"] == "enterprise-squad"
    assert {"name": "default_enrollments.realize", "operation": "task"} in telemetry.spans
