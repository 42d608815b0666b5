"""
A malformed catalog answer costs only its own intention: wrong types are absent, anything unexpected is
that key's ``catalog_answer_malformed``, and well-formed sibling keys still resolve. Through the real HTTP
client and the loopback catalog, with hand-picked cases and a property-based fuzz over every field.
"""
from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.cache import caches
from django.urls import reverse
from edx_django_utils.cache import RequestCache
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from default_enrollments import api
from default_enrollments.catalog.base import CatalogClient
from default_enrollments.catalog.resolution import resolve
from default_enrollments.data import Reason
from tests.catalog_server import course_document, course_run
from tests.factories import StaffUserFactory
from tests.learners import DEMO_RUN, World, lms_enrollments

CUSTOMER = "11111111-1111-1111-1111-111111111111"
GOOD_COURSE, GOOD_RUN = "edX+Good", "course-v1:edX+Good+1T2030"
ODD_COURSE, ODD_RUN = "edX+Odd", "course-v1:edX+Odd+1T2030"
MISSING = object()  # a field left out altogether

DOCUMENT_FIELDS = (
    "key", "content_type", "uuid", "title", "advertised_course_run_uuid", "course_runs",
    "normalized_metadata_by_run", "normalized_metadata",
)
RUN_FIELDS = (
    "key", "uuid", "status", "is_enrollable", "availability", "start", "end", "enrollment_start",
    "enrollment_end", "seats",
)
SEAT_FIELDS = ("type", "price")


def odd_document() -> dict:
    """The well-formed document that each case below damages in one place."""
    return course_document(ODD_COURSE, [course_run(ODD_RUN, seats=("audit", "verified"))])


def damage(document: dict, where: str, field: str | None, value: Any) -> Any:
    """``document`` with one place replaced by ``value`` (or removed, for ``MISSING``); may return a non-dict."""
    document = copy.deepcopy(document)
    if where == "document":
        return value
    target = {
        "document field": document,
        "run": document["course_runs"],
        "run field": document["course_runs"][0],
        "seat": document["course_runs"][0]["seats"],
        "seat field": document["course_runs"][0]["seats"][-1],
        "metadata": document["normalized_metadata_by_run"],
    }[where]
    slot: Any = 0 if isinstance(target, list) else (field if where.endswith("field") else ODD_RUN)
    if value is MISSING:
        target.pop(slot)
    else:
        target[slot] = value
    return document


def serve(catalog_server, odd: Any) -> None:
    """Serve a good course beside ``odd``: as the stored document, or as it is among the results."""
    catalog_server.courses = []
    catalog_server.extra_results = []
    catalog_server.add_course(GOOD_COURSE, [GOOD_RUN])
    if isinstance(odd, dict) and odd.get("key") == ODD_COURSE:
        catalog_server.add_document(odd)
    else:
        catalog_server.extra_results = [odd]


def resolve_all() -> dict[str, Any]:
    """Resolve the good and the odd keys, course and run, in one batch, as the login, admin and API do."""
    keys = (GOOD_COURSE, GOOD_RUN, ODD_COURSE, ODD_RUN)
    intentions = [api.LiveIntention(uuid.uuid4(), CUSTOMER, key) for key in keys]
    resolutions = api.resolve_intentions(intentions)
    return {intention.content_key: resolutions[intention.uuid] for intention in intentions}


def assert_siblings_resolve(resolutions: dict[str, Any]) -> None:
    for key in (GOOD_COURSE, GOOD_RUN):
        run = resolutions[key].run
        assert run is not None, resolutions[key]
        assert (run.course_run_key, run.best_mode, run.is_enrollable) == (GOOD_RUN, "verified", True)
    for key in (ODD_COURSE, ODD_RUN):
        assert resolutions[key].is_resolved or resolutions[key].reason in Reason


# --- hand-picked cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("run field", "seats", 5),
        ("run field", "seats", True),
        ("run field", "seats", "verified"),
        ("run field", "seats", {"type": "verified"}),
        ("seat", None, 5),
        ("seat field", "type", 5),
        ("seat field", "type", ["verified"]),
        ("run", None, 5),
        ("run field", "key", 5),
        ("run field", "uuid", 5),
        ("run field", "is_enrollable", "true"),
        ("document field", "course_runs", 5),
        ("document field", "course_runs", {"key": ODD_RUN}),
        ("document field", "course_runs", "runs"),
        ("document field", "advertised_course_run_uuid", 5),
        ("document field", "advertised_course_run_uuid", ["x"]),
        ("document field", "normalized_metadata_by_run", [1]),
        ("document field", "normalized_metadata", "soon"),
        ("metadata", None, 5),
        ("document field", "key", 5),
        ("document", None, 5),
        ("document", None, ["edX+Odd"]),
        ("document", None, None),
    ],
)
def test_a_field_of_the_wrong_type_costs_only_its_own_keys(catalog_server, where, field, value):
    serve(catalog_server, damage(odd_document(), where, field, value))

    resolutions = resolve_all()

    assert_siblings_resolve(resolutions)


def test_seats_of_the_wrong_type_are_no_seats(catalog_server):
    serve(catalog_server, damage(odd_document(), "run field", "seats", 5))

    run = resolve_all()[ODD_COURSE].run

    assert (run.course_run_key, run.seat_modes, run.best_mode) == (ODD_RUN, (), None)


@pytest.mark.parametrize(
    ("fields", "expected_good"),
    [({"count": "many"}, True), ({"next": 5}, True), ({"next": ["x"]}, True), ({"previous": {}}, True),
     ({"results": "not a list"}, False), ({"results": None}, False)],
)
def test_the_page_envelope_of_the_wrong_type(catalog_server, fields, expected_good):
    """A page's ``count`` and a ``next`` that is not a link are absent; ``results`` that are not a list refuse it."""
    serve(catalog_server, odd_document())
    catalog_server.page_fields = fields

    resolutions = resolve_all()

    assert resolutions[GOOD_COURSE].is_resolved is expected_good
    if not expected_good:
        assert {r.reason for r in resolutions.values()} == {Reason.CATALOG_UNAVAILABLE}


@pytest.mark.django_db(transaction=True)
def test_a_login_enrolls_the_well_formed_intentions_beside_a_malformed_one(catalog_server, client):
    world = World(catalog_server)
    world.demo_course()
    world.course(ODD_COURSE, [ODD_RUN])["course_runs"][0]["seats"] = 5
    world.intention()
    world.intention(ODD_COURSE)
    learner = world.learner()

    assert client.login(username=learner.username, password="password")

    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}
    status = api.get_learner_status(learner, world.customer.uuid)
    assert [(s.content_key, s.reason) for s in status.not_enrollable] == [(ODD_COURSE, Reason.NO_MODE)]


@pytest.mark.django_db
def test_the_admin_list_and_learner_status_answer_beside_a_malformed_document(catalog_server, client):
    world = World(catalog_server)
    world.demo_course()
    world.course(ODD_COURSE, [ODD_RUN])["course_runs"][0]["seats"] = True
    world.intention()
    world.intention(ODD_COURSE)
    learner = world.learner()
    client.force_login(StaffUserFactory())

    changelist = client.get(reverse("admin:default_enrollments_defaultenterpriseenrollmentintention_changelist"))
    status = client.get(
        reverse("default_enrollments:default-enterprise-enrollment-intentions-learner-status"),
        {"enterprise_customer_uuid": str(world.customer.uuid), "lms_user_id": learner.pk},
    )

    assert changelist.status_code == 200 and DEMO_RUN in changelist.content.decode()
    assert status.status_code == 200, status.content[:500]
    assert [i["content_key"] for i in status.json()["enrollment_statuses"]["needs_enrollment"]["enrollable"]] == [
        "edX+DemoX"
    ]


# --- anything unexpected is that key's reason ----------------------------------------------------------


class _Unreadable(dict):
    """A document that fails when read: what "anything unexpected" looks like from the resolver's side."""

    def get(self, *args: Any) -> Any:
        raise RuntimeError("unreadable")


class OddCatalog(CatalogClient):
    """A catalog client (the interface hosts implement) whose answer for edX+Odd cannot be read."""

    calls = 0

    def get_course_documents(self, content_keys: Sequence[str], *, deadline=None) -> dict:
        type(self).calls += 1
        good = course_document(GOOD_COURSE, [course_run(GOOD_RUN)])
        return {key: good if "Good" in key else _Unreadable(key=ODD_COURSE) for key in content_keys}

    def filter_content_items(self, enterprise_customer_uuid, content_keys, catalog_uuids=None, *, deadline=None):
        return set(content_keys)

    def get_catalogs_holding_any(self, enterprise_customer_uuid, content_keys, *, deadline=None):
        return ()


def test_an_unreadable_document_is_its_keys_catalog_answer_malformed(settings, caplog):
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_CLIENT": "tests.catalog.test_malformed.OddCatalog"}
    OddCatalog.calls = 0

    resolutions = resolve_all()

    assert_siblings_resolve(resolutions)
    assert resolutions[ODD_COURSE].reason == resolutions[ODD_RUN].reason == Reason.CATALOG_MALFORMED
    assert "catalog_answer_malformed content_keys=edX+Odd,course-v1:edX+Odd+1T2030" in caplog.text
    again = resolve_all()
    assert again[ODD_COURSE].reason == Reason.CATALOG_MALFORMED
    assert caplog.text.count("catalog_answer_malformed") == 2, "the batch was not kept: it is read again"
    assert OddCatalog.calls == 1, "its documents were kept: reading again asks the catalog nothing"


def test_resolve_never_raises_on_a_document_it_cannot_read():
    assert resolve(ODD_COURSE, _Unreadable()).reason == Reason.CATALOG_MALFORMED
    assert resolve(ODD_COURSE, ["not", "a", "document"]).reason == Reason.CATALOG_MALFORMED


# --- the fuzz ------------------------------------------------------------------------------------------



def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from([ODD_RUN, ODD_COURSE, "verified", "published", ""]),
    _containers,
    max_leaves=6,
)
PLACES = (
    st.tuples(st.just("document"), st.none())
    | st.tuples(st.just("document field"), st.sampled_from(DOCUMENT_FIELDS))
    | st.tuples(st.just("run"), st.none())
    | st.tuples(st.just("run field"), st.sampled_from(RUN_FIELDS))
    | st.tuples(st.just("seat"), st.none())
    | st.tuples(st.just("seat field"), st.sampled_from(SEAT_FIELDS))
    | st.tuples(st.just("metadata"), st.none())
)


@hypothesis_settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=PLACES, value=st.one_of(st.just(MISSING), JSON_VALUES), page_count=JSON_VALUES)
def test_fuzz_no_answer_escapes_and_siblings_resolve(catalog_server, place, value, page_count):
    for cache in caches.all():
        cache.clear()
    RequestCache.clear_all_namespaces()
    (where, field) = place
    if where == "document" and value is MISSING:
        value = None
    serve(catalog_server, damage(odd_document(), where, field, value))
    catalog_server.page_fields = {"count": page_count}

    resolutions = resolve_all()

    assert_siblings_resolve(resolutions)
