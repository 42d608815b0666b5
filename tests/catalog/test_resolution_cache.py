"""Cached resolutions: a warm batch asks nothing, answers stay honest (fresh, settings-aware), failures are not kept."""
from __future__ import annotations

import time
from uuid import uuid4

import pytest
from django.core.cache import caches

from default_enrollments import api
from default_enrollments.api import LiveIntention
from default_enrollments.catalog import get_catalog
from default_enrollments.catalog.cache import KEY_PREFIX
from default_enrollments.data import Reason
from tests.catalog_server import course_run

CUSTOMER = uuid4()
DEMO_RUN = "course-v1:edX+DemoX+Demo_Course"


@pytest.fixture
def demo_course(catalog_server):
    return catalog_server.add_course(
        "edX+DemoX", [course_run("course-v1:edX+DemoX+1T2024", is_enrollable=False), course_run(DEMO_RUN)],
        advertised=DEMO_RUN,
    )


def resolve(*keys: str) -> dict[str, object]:
    """Resolve fresh intentions (nothing remembered on an instance) and return the resolutions by key."""
    intentions = [LiveIntention(uuid4(), CUSTOMER, key) for key in keys]
    resolutions = api.resolve_intentions(intentions)
    return {intention.content_key: resolutions[intention.uuid] for intention in intentions}


def test_a_warm_batch_asks_the_catalog_nothing_and_answers_the_same(catalog_server, demo_course):
    keys = ("edX+DemoX", DEMO_RUN, "course-v1:edX+DemoX+1T2024", "edX+GoneX", "not a key")
    first = resolve(*keys)
    catalog_server.reset_counts()

    again = resolve(*keys)

    assert again == first
    assert catalog_server.requests == []
    assert again["edX+DemoX"].run.course_run_key == DEMO_RUN and again["edX+DemoX"].run.best_mode == "verified"
    assert again["edX+GoneX"].reason == Reason.UNKNOWN_CONTENT
    assert again["not a key"].reason == Reason.INVALID_KEY


def test_malformed_keys_never_reach_the_catalog(catalog_server, demo_course):
    resolve("edX+DemoX", "not a key", "")

    (batch,) = catalog_server.requests_to("content-metadata")
    assert "not a key" not in batch.query["content_identifiers"]


def test_the_best_mode_follows_the_mode_priority_of_the_moment(catalog_server, demo_course, settings):
    assert resolve("edX+DemoX")["edX+DemoX"].run.best_mode == "verified"
    catalog_server.reset_counts()
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "MODE_PRIORITY": ["audit", "verified"]}

    assert resolve("edX+DemoX")["edX+DemoX"].run.best_mode == "audit"
    assert catalog_server.requests == []


def test_keys_differing_in_case_each_get_their_own_message(catalog_server):
    first = resolve("edX+GoneX")["edX+GoneX"]
    other = resolve("EDX+GONEX")["EDX+GONEX"]

    assert "'edX+GoneX'" in first.message and "'EDX+GONEX'" in other.message


def test_a_failure_is_not_kept(catalog_server, demo_course):
    catalog_server.fail_with(500)
    assert resolve("edX+DemoX")["edX+DemoX"].reason == Reason.CATALOG_UNAVAILABLE

    catalog_server.recover()
    assert resolve("edX+DemoX")["edX+DemoX"].run.course_run_key == DEMO_RUN


def test_a_batch_expires_with_its_oldest_document(catalog_server, demo_course, settings):
    """A batch resolved from a document fetched long ago is kept only as long as that document is."""
    catalog = get_catalog()
    catalog.get_course_documents(["edX+DemoX"])
    document_key = catalog._key("document", "edx+demox")
    cache = caches[settings.DEFAULT_ENROLLMENTS.get("CACHE_ALIAS", "default")]
    entry = cache.get(document_key)
    timeout = settings.DEFAULT_ENROLLMENTS.get("CACHE_TIMEOUT", 300)
    cache.set(document_key, {**entry, "at": time.time() - timeout + 0.5}, timeout=1)  # about to expire

    resolve("edX+DemoX")

    assert cache.get(catalog._batch_key(["edX+DemoX"])) is None
    time.sleep(1.1)
    catalog_server.reset_counts()
    resolve("edX+DemoX")
    assert catalog_server.catalog_requests == 1, "the expired document is fetched again"
    batch_key = catalog._batch_key(["edX+DemoX"])
    assert batch_key.startswith(KEY_PREFIX) and cache.get(batch_key) is not None
