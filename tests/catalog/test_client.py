"""The enterprise-catalog HTTP client and batch resolution, against a real loopback catalog service."""
from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError

from default_enrollments import api
from default_enrollments.catalog import get_catalog, one_client
from default_enrollments.catalog.client import EnterpriseCatalogApiClient
from default_enrollments.data import Reason
from default_enrollments.exceptions import CatalogError, CatalogResponseError, CatalogUnavailable
from default_enrollments.models import DefaultEnterpriseEnrollmentIntention
from tests.catalog_server import CatalogServer, course_run
from tests.factories import EnterpriseCustomerFactory

CUSTOMER = "11111111-1111-1111-1111-111111111111"
DEMO_RUNS = [
    course_run("course-v1:edX+DemoX+1T2024", is_enrollable=False, availability="Archived"),
    course_run("course-v1:edX+DemoX+Demo_Course"),
]


@pytest.fixture
def demo_course(catalog_server):
    return catalog_server.add_course("edX+DemoX", DEMO_RUNS, advertised="course-v1:edX+DemoX+Demo_Course")


def app_settings(settings, **values):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, **values}


def intentions_for(customer, keys):
    """Unsaved intentions are enough: resolution never needs the database."""
    return [DefaultEnterpriseEnrollmentIntention(enterprise_customer=customer, content_key=key) for key in keys]


# --- resolution over HTTP ------------------------------------------------------------------------


@pytest.mark.django_db
def test_course_and_run_keys_resolve_through_one_batch(catalog_server, demo_course):
    customer = EnterpriseCustomerFactory()
    course, archived, unknown = intentions_for(
        customer, ["edX+DemoX", "course-v1:edX+DemoX+1T2024", "edX+GoneX"]
    )

    resolved = api.resolved_intentions([course, archived, unknown], with_catalogs=False)
    resolutions = {uuid: intention.resolution for uuid, intention in resolved.items()}
    course, archived, unknown = resolved.values()

    assert course.course_run_key == "course-v1:edX+DemoX+Demo_Course"
    assert course.is_course_run_enrollable and course.best_mode_for_course_run == "verified"
    assert archived.course_key == "edX+DemoX" and archived.course_run_key == "course-v1:edX+DemoX+1T2024"
    assert archived.is_course_run_enrollable is False
    assert resolutions[unknown.uuid].reason == Reason.UNKNOWN_CONTENT and unknown.course_run_key is None
    assert catalog_server.catalog_requests == 1
    (batch,) = catalog_server.requests_to("content-metadata")
    assert batch.query["coerce_to_parent_course"] == ["true"]
    assert sorted(batch.query["content_identifiers"]) == ["course-v1:edX+DemoX+1T2024", "edX+DemoX", "edX+GoneX"]


@pytest.mark.django_db
def test_twenty_intentions_cost_at_most_three_catalog_requests_and_a_warm_cache_none(catalog_server):
    customer = EnterpriseCustomerFactory()
    keys = []
    for number in range(10):
        catalog_server.add_course(f"edX+C{number}", [f"course-v1:edX+C{number}+1T2030"])
        keys += [f"edX+C{number}", f"course-v1:edX+C{number}+1T2030"]
    catalog_server.add_catalog(customer.uuid, [f"edX+C{number}" for number in range(10)])
    intentions = list(api.resolved_intentions(intentions_for(customer, keys)).values())

    assert all(intention.is_course_run_enrollable for intention in intentions)
    assert all(len(intention.applicable_enterprise_catalog_uuids) == 1 for intention in intentions)
    assert catalog_server.catalog_requests <= 3
    assert catalog_server.token_requests == 1

    catalog_server.reset_counts()
    fresh = list(api.resolved_intentions(intentions_for(customer, keys)).values())
    assert [i.course_run_key for i in fresh] == [i.course_run_key for i in intentions]
    assert catalog_server.requests == []


@pytest.mark.django_db
def test_resolved_fields_share_one_resolution_instead_of_calling_per_access(catalog_server, demo_course):
    intentions = intentions_for(EnterpriseCustomerFactory(), ["edX+DemoX"])
    (intention,) = api.resolved_intentions(intentions, with_catalogs=False).values()

    values = [intention.course_key, intention.course_run_key, intention.is_course_run_enrollable,
              intention.best_mode_for_course_run, intention.course_run_normalized_metadata]

    assert values[:4] == ["edX+DemoX", "course-v1:edX+DemoX+Demo_Course", True, "verified"]
    assert "enroll_by_date" in values[4]
    assert catalog_server.catalog_requests == 1


def test_batches_follow_next_when_the_service_caps_the_page_size(catalog_server, settings):
    catalog_server.max_page_size = 3
    keys = [f"edX+P{number}" for number in range(7)]
    for key in keys:
        catalog_server.add_course(key)

    documents = EnterpriseCatalogApiClient().get_course_documents(keys)

    assert {key: document["key"] for key, document in documents.items()} == {key: key for key in keys}
    pages = catalog_server.requests_to("content-metadata")
    assert [request.query.get("page", ["1"]) for request in pages] == [["1"], ["2"], ["3"]]


def test_large_batches_are_split_so_urls_stay_bounded(catalog_server, settings):
    app_settings(settings, CATALOG_PAGE_SIZE=4)
    keys = [f"edX+S{number}" for number in range(9)]
    for key in keys:
        catalog_server.add_course(key)

    documents = EnterpriseCatalogApiClient().get_course_documents(keys)

    assert all(documents[key]["key"] == key for key in keys)
    assert [len(r.query["content_identifiers"]) for r in catalog_server.requests_to("content-metadata")] == [4, 4, 1]


def test_keys_are_url_encoded_with_plus_as_percent_2b(catalog_server, demo_course):
    EnterpriseCatalogApiClient().get_course_documents(["course-v1:edX+DemoX+Demo_Course"])

    (request,) = catalog_server.requests_to("content-metadata")
    assert "content_identifiers=course-v1%3AedX%2BDemoX%2BDemo_Course" in request.raw_query


@pytest.mark.parametrize("provider_suffix", ["", "/oauth2", "/oauth2/"])
def test_the_provider_url_works_with_or_without_oauth2(catalog_server, demo_course, settings, provider_suffix):
    app_settings(settings, OAUTH2_PROVIDER_URL=catalog_server.root_url + provider_suffix)

    assert EnterpriseCatalogApiClient().get_course_documents(["edX+DemoX"])["edX+DemoX"]["key"] == "edX+DemoX"
    (token,) = [request for request in catalog_server.requests if request.is_token_request]
    assert token.path == "/oauth2/access_token"
    assert token.body["grant_type"] == "client_credentials" and token.body["token_type"] == "jwt"


def test_host_settings_are_the_fallback_for_url_and_credentials(catalog_server, demo_course, settings):
    settings.DEFAULT_ENROLLMENTS = {}
    settings.ENTERPRISE_CATALOG_INTERNAL_ROOT_URL = catalog_server.root_url
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL = catalog_server.oauth2_url
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY = catalog_server.client_id
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET = catalog_server.client_secret

    assert get_catalog().get_course_documents(["edX+DemoX"])["edX+DemoX"]["key"] == "edX+DemoX"


def test_wrong_credentials_are_a_catalog_error_not_a_crash(catalog_server, demo_course, settings):
    app_settings(settings, OAUTH2_CLIENT_SECRET="wrong")

    with pytest.raises(CatalogUnavailable, match="access token"):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert catalog_server.catalog_requests == 0


# --- membership and per-run catalog lists --------------------------------------------------------


def test_membership_for_many_keys_is_one_post(catalog_server, demo_course):
    catalog_server.add_course("edX+Other")
    catalog_server.add_catalog("11111111-1111-1111-1111-111111111111", ["edX+DemoX"])
    keys = ["edX+DemoX", "course-v1:edX+DemoX+Demo_Course", "edX+Other", "course-v1:edX+Other+1T2030"]

    contained = EnterpriseCatalogApiClient().filter_content_items("11111111-1111-1111-1111-111111111111", keys)

    assert contained == {"edX+DemoX", "course-v1:edX+DemoX+Demo_Course"}
    (request,) = catalog_server.requests_to("filter_content_items")
    assert request.method == "POST" and request.body == {"content_keys": keys}


@pytest.mark.django_db
def test_per_run_catalog_lists_cost_one_request_plus_one_per_catalog(catalog_server):
    customer = EnterpriseCustomerFactory()
    runs = [f"course-v1:edX+R{number}+1T2030" for number in range(5)]
    for number in range(5):
        catalog_server.add_course(f"edX+R{number}", [runs[number]])
    both = catalog_server.add_catalog(customer.uuid, ["edX+R0", "edX+R1"])
    one = catalog_server.add_catalog(customer.uuid, ["edX+R1", runs[2]])
    catalog_server.add_catalog(customer.uuid, ["edX+Unrelated"])
    catalog_server.add_catalog(EnterpriseCustomerFactory().uuid, ["edX+R3"])  # another customer's

    lists = EnterpriseCatalogApiClient().get_catalogs_containing(customer.uuid, runs)

    assert lists == {
        runs[0]: (both,), runs[1]: tuple(sorted([both, one])), runs[2]: (one,), runs[3]: (), runs[4]: (),
    }
    assert catalog_server.catalog_requests == 1 + 2
    (contains,) = catalog_server.requests_to("contains_content_items")
    assert contains.query["course_run_ids"] == runs


@pytest.mark.django_db
def test_one_runs_catalog_list_is_one_request(catalog_server):
    customer = EnterpriseCustomerFactory()
    run = "course-v1:edX+R0+1T2030"
    catalog_server.add_course("edX+R0", [run])
    catalogs = sorted(catalog_server.add_catalog(customer.uuid, [key]) for key in ("edX+R0", run))
    catalog_server.add_catalog(customer.uuid, ["edX+Unrelated"])

    assert EnterpriseCatalogApiClient().get_catalogs_containing(customer.uuid, [run]) == {run: tuple(catalogs)}
    assert [request.path.rsplit("/", 2)[-2] for request in catalog_server.requests
            if not request.is_token_request] == ["contains_content_items"]


CATALOG = "33333333-3333-3333-3333-333333333333"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"contains_content_items": False, "catalog_list": [CATALOG]}, ()),  # a list contradicting "no"
        ({"contains_content_items": True, "catalog_list": []}, ()),
        ({"contains_content_items": True, "catalog_list": ["not a uuid", 7, None, CATALOG, CATALOG]}, (CATALOG,)),
    ],
)
def test_one_runs_catalog_list_takes_only_what_the_answer_holds_together(catalog_server, answer, expected):
    run = "course-v1:edX+R0+1T2030"
    catalog_server.contains_fields = answer

    assert get_catalog().get_catalogs_containing(CUSTOMER, [run]) == {run: expected}
    assert get_catalog().filter_content_items(CUSTOMER, [run]) == ({run} if expected else set())
    assert catalog_server.catalog_requests == 1, "the membership answer came with the list"


@pytest.mark.parametrize("catalog_list", [None, "not a list", {"a": 1}])
def test_one_runs_catalog_list_of_the_wrong_shape_is_an_error(catalog_server, catalog_list):
    catalog_server.contains_fields = {"contains_content_items": True, "catalog_list": catalog_list}

    with pytest.raises(CatalogResponseError):
        get_catalog().get_catalogs_containing(CUSTOMER, ["course-v1:edX+R0+1T2030"])


def test_the_calls_of_one_operation_share_a_connection_and_operations_do_not(catalog_server, demo_course):
    run = "course-v1:edX+DemoX+Demo_Course"
    with one_client() as client:
        assert get_catalog() is client
        get_catalog().get_course_documents(["edX+DemoX"])
        with one_client() as inner:  # a nested operation is part of the outer one
            assert inner is client
            get_catalog().get_catalogs_containing(CUSTOMER, [run])
    assert catalog_server.catalog_requests == 2 and catalog_server.catalog_connections == 1
    assert get_catalog() is not client, "the client lived no longer than its operation"

    with one_client():
        get_catalog().filter_content_items(CUSTOMER, ["edX+DemoX"])
    assert catalog_server.catalog_requests == 3
    assert catalog_server.catalog_connections == 2, "no connection is kept between operations"


@pytest.mark.django_db
def test_applicable_catalogs_are_sorted_strings_and_empty_for_unresolvable_intentions(catalog_server, demo_course):
    customer = EnterpriseCustomerFactory()
    first = catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    second = catalog_server.add_catalog(customer.uuid, ["course-v1:edX+DemoX+Demo_Course"])
    course, gone = intentions_for(customer, ["edX+DemoX", "edX+GoneX"])

    attached = api.applicable_catalogs([course, gone])

    assert attached[course.uuid] == sorted([first, second])
    assert attached[gone.uuid] == []
    assert attached == {course.uuid: sorted([first, second]), gone.uuid: []}


# --- failures: bounded, typed, never cached -----------------------------------------------------


def assert_nothing_cached_and_recovery_works(catalog_server):
    catalog_server.recover()
    catalog_server.reset_counts()
    assert get_catalog().get_course_documents(["edX+DemoX"])["edX+DemoX"]["key"] == "edX+DemoX"
    assert catalog_server.catalog_requests == 1, "the failure must not have been cached"


def test_a_hanging_catalog_is_a_catalog_error_within_the_timeout(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_TIMEOUT=0.5)
    get_catalog().get_catalogs_containing("11111111-1111-1111-1111-111111111111", ["x"])  # token fetched
    catalog_server.hang(10)

    started = time.monotonic()
    with pytest.raises(CatalogUnavailable, match="timed out"):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert time.monotonic() - started < 1.2

    assert_nothing_cached_and_recovery_works(catalog_server)


def test_a_hanging_token_endpoint_is_bounded_too(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_TIMEOUT=0.5)
    catalog_server.hang(10, token=True)

    started = time.monotonic()
    with pytest.raises(CatalogUnavailable):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert time.monotonic() - started < 1.2


def test_the_deadline_shortens_the_timeout_and_an_exhausted_budget_asks_nothing(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_TIMEOUT=5)
    get_catalog().get_catalogs_containing("11111111-1111-1111-1111-111111111111", ["x"])  # token fetched
    catalog_server.hang(10)

    started = time.monotonic()
    with pytest.raises(CatalogUnavailable):
        get_catalog().get_course_documents(["edX+DemoX"], deadline=time.monotonic() + 0.3)
    assert time.monotonic() - started < 0.8

    catalog_server.reset_counts()
    with pytest.raises(CatalogUnavailable, match="budget"):
        get_catalog().get_course_documents(["edX+DemoX"], deadline=time.monotonic() - 1)
    assert catalog_server.requests == []


def test_connection_refused_is_a_catalog_error_within_the_timeout(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_TIMEOUT=0.5)
    catalog_server.go_down()

    started = time.monotonic()
    with pytest.raises(CatalogUnavailable):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert time.monotonic() - started < 1.5  # includes the short backoff between retries

    catalog_server.come_back()
    assert_nothing_cached_and_recovery_works(catalog_server)


def test_a_catalog_url_where_nothing_listens_is_unavailable(catalog_server, settings):
    app_settings(settings, CATALOG_API_URL=CatalogServer.closed_url() + "/api/v1/", CATALOG_TIMEOUT=0.5)

    with pytest.raises(CatalogUnavailable, match="could not connect"):
        get_catalog().get_course_documents(["edX+DemoX"])


def test_a_500_is_unavailable_and_not_retried(catalog_server, demo_course):
    catalog_server.fail_with(500)

    with pytest.raises(CatalogUnavailable, match="500"):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert catalog_server.catalog_requests == 1

    assert_nothing_cached_and_recovery_works(catalog_server)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_on_gets_are_retried(catalog_server, demo_course, status):
    catalog_server.fail_with(status, times=1)

    assert get_catalog().get_course_documents(["edX+DemoX"])["edX+DemoX"]["key"] == "edX+DemoX"
    assert catalog_server.catalog_requests == 2


def test_retries_are_bounded_by_catalog_retries(catalog_server, demo_course, settings):
    app_settings(settings, CATALOG_RETRIES=1)
    catalog_server.fail_with(503)

    with pytest.raises(CatalogUnavailable, match="503"):
        get_catalog().get_course_documents(["edX+DemoX"])
    assert catalog_server.catalog_requests == 2


def test_posts_are_never_retried(catalog_server, demo_course):
    catalog_server.fail_with(503)

    with pytest.raises(CatalogUnavailable):
        get_catalog().filter_content_items("11111111-1111-1111-1111-111111111111", ["edX+DemoX"])
    assert catalog_server.catalog_requests == 1


@pytest.mark.parametrize("kind", ["text", "shape"])
def test_a_garbage_answer_is_an_error_not_an_empty_result(catalog_server, demo_course, kind):
    catalog_server.answer_garbage(kind)

    with pytest.raises(CatalogResponseError):
        get_catalog().get_course_documents(["edX+DemoX"])
    with pytest.raises(CatalogResponseError):
        get_catalog().filter_content_items("11111111-1111-1111-1111-111111111111", ["edX+DemoX"])
    with pytest.raises(CatalogResponseError):
        get_catalog().get_catalogs_containing("11111111-1111-1111-1111-111111111111", ["course-v1:a+b+c"])

    assert_nothing_cached_and_recovery_works(catalog_server)


@pytest.mark.django_db
def test_an_outage_resolves_every_intention_as_catalog_unavailable_and_asks_again_later(catalog_server, demo_course):
    customer = EnterpriseCustomerFactory()
    catalog_server.fail_with(500)
    intentions = intentions_for(customer, ["edX+DemoX", "course-v1:edX+DemoX+1T2024"])

    resolved = api.resolved_intentions(intentions)
    resolutions = {uuid: intention.resolution for uuid, intention in resolved.items()}
    intentions = list(resolved.values())

    assert {r.reason for r in resolutions.values()} == {Reason.CATALOG_UNAVAILABLE}
    assert all("could not be reached" in r.message for r in resolutions.values())
    assert [i.course_run_key for i in intentions] == [None, None]
    assert [list(i.applicable_enterprise_catalog_uuids) for i in intentions] == [[], []]
    assert catalog_server.catalog_requests == 1, "one failed batch, not one call per intention or property"

    catalog_server.recover()
    later = list(api.resolved_intentions(intentions_for(customer, ["edX+DemoX"])).values())
    assert later[0].course_run_key == "course-v1:edX+DemoX+Demo_Course"


def test_a_missing_catalog_url_is_a_catalog_error_naming_the_setting(settings):
    settings.DEFAULT_ENROLLMENTS = {}
    settings.ENTERPRISE_CATALOG_INTERNAL_ROOT_URL = None

    with pytest.raises(CatalogError, match="CATALOG_API_URL"):
        get_catalog().get_course_documents(["edX+DemoX"])


# --- the intention's clean() --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("edX+GoneX", "does not know the course 'edX+GoneX'"),
        ("course-v1:edX+DemoX+9T2099", "has no run 'course-v1:edX+DemoX+9T2099'"),
        ("edX+NoAdvert", "no advertised run"),
    ],
)
def test_clean_rejects_keys_that_do_not_lead_to_a_run_and_says_why(catalog_server, demo_course, key, expected):
    catalog_server.add_course("edX+NoAdvert", ["course-v1:edX+NoAdvert+1T2030"], advertised=None)
    intention = DefaultEnterpriseEnrollmentIntention(enterprise_customer=EnterpriseCustomerFactory(), content_key=key)

    with pytest.raises(ValidationError) as excinfo:
        intention.full_clean()

    assert expected in " ".join(excinfo.value.message_dict["content_key"])
    assert DefaultEnterpriseEnrollmentIntention.all_objects.count() == 0


@pytest.mark.django_db
def test_clean_accepts_a_resolvable_key_even_when_its_run_is_closed(catalog_server, demo_course):
    customer = EnterpriseCustomerFactory()
    for key in ("edX+DemoX", "course-v1:edx+demox+1t2024"):
        DefaultEnterpriseEnrollmentIntention(enterprise_customer=customer, content_key=key).full_clean()


@pytest.mark.django_db
def test_clean_says_to_try_again_when_the_catalog_cannot_be_reached(catalog_server, demo_course):
    catalog_server.fail_with(503)
    intention = DefaultEnterpriseEnrollmentIntention(
        enterprise_customer=EnterpriseCustomerFactory(), content_key="edX+DemoX"
    )

    with pytest.raises(ValidationError) as excinfo:
        intention.full_clean()

    message = " ".join(excinfo.value.message_dict["content_key"])
    assert "could not be reached" in message and "Try again" in message
