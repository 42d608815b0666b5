"""
Every outbound exchange is bounded: wall clock (connect, headers and body), answer size, retries, and the
origin ``next`` links may lead to. Against the loopback catalog, made to drip, bloat and redirect.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest

from default_enrollments import api
from default_enrollments.catalog import get_catalog, one_client
from default_enrollments.catalog.base import call_deadline
from default_enrollments.catalog.client import MAX_PAGES, EnterpriseCatalogApiClient
from default_enrollments.data import Reason
from default_enrollments.exceptions import CatalogError, CatalogResponseError, CatalogUnavailable
from tests.catalog_server import CatalogServer, course_run
from tests.learners import DEMO_RUN, World, lms_enrollments, nothing_written

CUSTOMER = "11111111-1111-1111-1111-111111111111"
DRIP_SECONDS = 0.2  # one byte every so often: never long enough for a per-read timeout to fire
MARGIN = 0.5  # seconds past a deadline that a bounded call may take to return


@pytest.fixture
def demo_course(catalog_server):
    return catalog_server.add_course(
        "edX+DemoX",
        [course_run("course-v1:edX+DemoX+1T2024", is_enrollable=False), course_run(DEMO_RUN)],
        advertised=DEMO_RUN,
    )


def app_settings(settings, **values):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, **values}


def warm_token():
    """Fetch (and cache) the service token, so a failure switched on next hits the catalog request itself."""
    get_catalog().get_catalogs_containing(CUSTOMER, ["course-v1:a+b+c"])


def timed(call):
    """``call()``'s exception (it must raise a catalog error) and the seconds it took."""
    started = time.monotonic()
    with pytest.raises(CatalogError) as excinfo:
        call()
    return excinfo.value, time.monotonic() - started


# --- wall clock --------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [False, True], ids=["body", "head-and-body"])
def test_a_dripping_answer_ends_at_the_deadline_and_is_not_retried(catalog_server, demo_course, settings, headers):
    app_settings(settings, CATALOG_TIMEOUT=5, CATALOG_RETRIES=2)
    warm_token()
    catalog_server.reset_counts()
    catalog_server.drip(DRIP_SECONDS, headers=headers)

    error, elapsed = timed(lambda: get_catalog().get_course_documents(["edX+DemoX"], deadline=time.monotonic() + 1))

    assert isinstance(error, CatalogUnavailable) and "timed out" in str(error)
    assert elapsed < 1 + MARGIN, f"{elapsed:.2f}s for a 1s deadline"
    assert catalog_server.catalog_requests == 1, "an answer that timed out is not asked for again"

    catalog_server.recover()
    assert get_catalog().get_course_documents(["edX+DemoX"])["edX+DemoX"]["key"] == "edX+DemoX"


def test_under_a_dripping_catalog_intentions_get_a_transient_reason_in_time(catalog_server, demo_course):
    warm_token()
    catalog_server.drip(DRIP_SECONDS)
    intention = api.LiveIntention(uuid.uuid4(), CUSTOMER, "edX+DemoX")

    started = time.monotonic()
    (resolution,) = api.resolve_intentions([intention], deadline=time.monotonic() + 1).values()

    assert time.monotonic() - started < 1 + MARGIN
    assert resolution.reason == Reason.CATALOG_UNAVAILABLE and "timed out" in resolution.message


def test_a_short_deadline_after_long_ones_is_kept_and_exchanges_start_no_thread_each(
    catalog_server, demo_course, monkeypatch
):
    warm_token()
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread.name) or start(thread))
    with one_client():  # one connection: the loopback server starts one thread for it
        for _ in range(20):  # finished exchanges whose deadlines lie minutes ahead
            get_catalog().get_catalogs_holding_any(CUSTOMER, [DEMO_RUN], deadline=time.monotonic() + 120)
    assert len(started) <= 2, f"threads started for twenty exchanges: {started}"
    catalog_server.drip(DRIP_SECONDS)

    error, elapsed = timed(lambda: get_catalog().get_course_documents(["edX+DemoX"], deadline=time.monotonic() + 0.6))

    assert "timed out" in str(error)
    assert elapsed < 0.6 + MARGIN, f"{elapsed:.2f}s for a 0.6s deadline behind twenty of two minutes"


def test_catalog_timeout_bounds_each_exchange_by_wall_clock(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_TIMEOUT=0.6)
    warm_token()
    catalog_server.drip(DRIP_SECONDS)

    error, elapsed = timed(lambda: get_catalog().get_course_documents(["edX+DemoX"]))

    assert "timed out" in str(error)
    assert elapsed < 0.6 + MARGIN


def test_a_dripping_token_endpoint_is_bounded_by_the_same_deadline(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_TIMEOUT=5)
    catalog_server.drip(DRIP_SECONDS, token=True)

    error, elapsed = timed(lambda: get_catalog().get_course_documents(["edX+DemoX"], deadline=time.monotonic() + 1))

    assert "token request timed out" in str(error)
    assert elapsed < 1 + MARGIN
    assert catalog_server.token_requests == 1 and catalog_server.catalog_requests == 0


def test_a_call_without_a_deadline_gets_catalog_call_timeout(catalog_server, demo_course, settings):
    """The admin, the API and the commands pass no deadline: their calls are bounded all the same."""
    app_settings(settings, CATALOG_TIMEOUT=5, CATALOG_CALL_TIMEOUT=0.8)
    warm_token()
    catalog_server.drip(DRIP_SECONDS)

    _, elapsed = timed(lambda: get_catalog().get_course_documents(["edX+DemoX"]))

    assert elapsed < 0.8 + MARGIN


def test_by_default_a_call_without_a_deadline_gets_one_catalog_timeout_per_attempt(settings):
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_TIMEOUT": 2, "CATALOG_RETRIES": 2}

    assert call_deadline(None) - time.monotonic() == pytest.approx(6, abs=0.1)
    assert call_deadline(123.0) == 123.0, "a caller's deadline is kept"


@pytest.mark.django_db(transaction=True)
def test_a_login_under_a_dripping_catalog_keeps_its_budget_and_the_next_login_enrolls(
    catalog_server, client, settings
):
    budget = 1.0
    app_settings(settings, LOGIN_TIME_BUDGET=budget, CATALOG_TIMEOUT=5)
    world = World(catalog_server)
    world.demo_course()
    world.intention()
    learner = world.learner()
    catalog_server.drip(DRIP_SECONDS)

    started = time.monotonic()
    assert client.login(username=learner.username, password="password")
    elapsed = time.monotonic() - started

    assert elapsed < budget + MARGIN + 0.5, f"the login took {elapsed:.2f}s with a {budget}s budget"
    assert nothing_written(learner)

    catalog_server.recover()
    client.logout()
    assert client.login(username=learner.username, password="password")
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


# --- size ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "until-close"])
def test_an_oversized_answer_is_refused_without_being_read_whole(catalog_server, settings, declare_length):
    app_settings(settings, CATALOG_MAX_RESPONSE_BYTES=256 * 1024)
    warm_token()
    catalog_server.reset_counts()
    size = 8 * 1024 * 1024
    catalog_server.answer_large(size, declare_length=declare_length)

    with pytest.raises(CatalogResponseError, match="262144"):
        get_catalog().get_course_documents(["edX+DemoX"])

    assert catalog_server.catalog_requests == 1
    assert catalog_server.large_bytes_sent < size, "the client read the whole answer"


def test_the_default_cap_refuses_an_answer_of_many_mebibytes(catalog_server):
    warm_token()
    catalog_server.answer_large(16 * 1024 * 1024, declare_length=False)

    with pytest.raises(CatalogResponseError, match="larger than"):
        get_catalog().get_course_documents(["edX+DemoX"])


def test_an_oversized_token_answer_is_refused(catalog_server, settings):
    app_settings(settings, CATALOG_MAX_RESPONSE_BYTES=64 * 1024)
    catalog_server.answer_large(1024 * 1024, token=True)

    with pytest.raises(CatalogError):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert catalog_server.catalog_requests == 0


@pytest.mark.django_db
def test_an_oversized_answer_costs_its_batch_a_transient_reason(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_MAX_RESPONSE_BYTES=64 * 1024)
    warm_token()
    catalog_server.answer_large(1024 * 1024, times=1)
    intention = api.LiveIntention(uuid.uuid4(), CUSTOMER, "edX+DemoX")

    (resolution,) = api.resolve_intentions([intention]).values()

    assert resolution.reason == Reason.CATALOG_UNAVAILABLE
    (later,) = api.resolve_intentions([api.LiveIntention(intention.uuid, CUSTOMER, "edX+DemoX")]).values()
    assert later.run.course_run_key == DEMO_RUN, "the refusal was not cached"


# --- the origin of next links --------------------------------------------------------------------------


@pytest.fixture
def off_origin():
    server = CatalogServer().start()
    server.add_course("edX+P0")
    server.add_course("edX+P1")
    try:
        yield server
    finally:
        server.stop()


def paginated(catalog_server):
    """Two courses on two pages of one each: the answer to asking for both carries a ``next`` link."""
    catalog_server.max_page_size = 1
    for key in ("edX+P0", "edX+P1"):
        catalog_server.add_course(key)
    return ["edX+P0", "edX+P1"]


def test_a_next_link_to_another_host_is_refused_and_never_followed(catalog_server, off_origin, caplog):
    keys = paginated(catalog_server)
    catalog_server.next_root = off_origin.root_url + "/learner@example.com"
    caplog.set_level(logging.DEBUG, logger="default_enrollments")

    with pytest.raises(CatalogResponseError, match="origin"):
        EnterpriseCatalogApiClient().get_course_documents(keys)

    assert off_origin.requests == [], "the service token went to another host"
    assert len(catalog_server.requests_to("content-metadata")) == 1
    assert "example.com" not in caplog.text, "the foreign link is not logged"


@pytest.mark.parametrize(
    "root",
    ["https://127.0.0.1:{port}", "http://localhost:{port}", "http://user:secret@127.0.0.1:{port}", "/relative"],
    ids=["other-scheme", "other-host-name", "with-credentials", "relative"],
)
def test_a_next_link_off_the_configured_origin_is_refused(catalog_server, root):
    keys = paginated(catalog_server)
    catalog_server.next_root = root.format(port=catalog_server.port)

    with pytest.raises(CatalogResponseError, match="origin"):
        EnterpriseCatalogApiClient().get_course_documents(keys)
    assert len(catalog_server.requests_to("content-metadata")) == 1


def test_a_next_link_on_the_same_origin_is_followed(catalog_server):
    keys = paginated(catalog_server)
    catalog_server.next_root = catalog_server.root_url

    documents = EnterpriseCatalogApiClient().get_course_documents(keys)

    assert {key: document["key"] for key, document in documents.items()} == {key: key for key in keys}
    assert len(catalog_server.requests_to("content-metadata")) == 2


@pytest.mark.django_db
def test_a_refused_next_link_costs_only_its_batch_a_reason(catalog_server, off_origin):
    keys = paginated(catalog_server)
    catalog_server.next_root = off_origin.root_url
    intentions = [api.LiveIntention(uuid.uuid4(), CUSTOMER, key) for key in keys]

    resolutions = api.resolve_intentions(intentions)

    assert {resolution.reason for resolution in resolutions.values()} == {Reason.CATALOG_UNAVAILABLE}
    assert off_origin.requests == []


def test_pagination_stops_at_the_page_cap(catalog_server):
    catalog_server.max_page_size = 1
    keys = [f"edX+Many{number}" for number in range(MAX_PAGES + 2)]
    for key in keys:
        catalog_server.add_course(key)

    with pytest.raises(CatalogResponseError, match=f"past {MAX_PAGES} pages"):
        EnterpriseCatalogApiClient().get_course_documents(keys)
    assert len(catalog_server.requests_to("content-metadata")) == MAX_PAGES


# --- logs ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_errors_and_logs_never_quote_the_catalogs_answer(catalog_server, caplog):
    caplog.set_level(logging.DEBUG, logger="default_enrollments")
    catalog_server.answer_garbage("text")
    intention = api.LiveIntention(uuid.uuid4(), CUSTOMER, "edX+DemoX")

    (resolution,) = api.resolve_intentions([intention]).values()

    assert resolution.reason == Reason.CATALOG_UNAVAILABLE and "not JSON" in resolution.message
    assert "confused" not in resolution.message and "confused" not in caplog.text
