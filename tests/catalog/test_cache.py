"""The cache layer: one entry per key, one round trip when warm, real answers kept, failures not."""
from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from default_enrollments.catalog import get_catalog
from default_enrollments.catalog.cache import KEY_PREFIX, CachedCatalogClient
from default_enrollments.exceptions import CatalogError

CUSTOMER = "22222222-2222-2222-2222-222222222222"
REDIS_URL = "redis://127.0.0.1:6379/6"


class CountingCache(LocMemCache):
    """A local-memory cache that counts round trips, to show a warm lookup is one ``get_many``."""

    round_trips = 0
    _inside_get_many = False

    def get_many(self, keys, version=None):
        CountingCache.round_trips += 1
        self._inside_get_many = True  # LocMemCache answers get_many with one get per key, in memory
        try:
            return super().get_many(keys, version)
        finally:
            self._inside_get_many = False

    def get(self, key, default=None, version=None):
        if not self._inside_get_many:
            CountingCache.round_trips += 1
        return super().get(key, default, version)


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """Every test runs on a local-memory cache and on Redis (database 6)."""
    if request.param == "redis":
        import redis  # noqa: PLC0415

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.CACHES = {
            **settings.CACHES,
            "catalog": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                        "KEY_PREFIX": "default_enrollments_tests"},
        }
    else:
        settings.CACHES = {**settings.CACHES, "catalog": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                          "LOCATION": "catalog-tests"}}
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "CACHE_ALIAS": "catalog"}
    caches["catalog"].clear()
    yield request.param
    caches["catalog"].clear()


@pytest.fixture
def courses(catalog_server, cache_backend):
    for number in range(5):
        catalog_server.add_course(f"edX+K{number}", [f"course-v1:edX+K{number}+1T2030"])
    catalog_server.add_catalog(CUSTOMER, ["edX+K0", "edX+K1"])
    return [f"edX+K{number}" for number in range(5)]


def test_one_batch_fills_one_entry_per_key(catalog_server, courses):
    get_catalog().get_course_documents(courses)
    catalog_server.reset_counts()

    subset = get_catalog().get_course_documents(courses[1:3])

    assert [document["key"] for document in subset.values()] == courses[1:3]
    assert catalog_server.catalog_requests == 0


def test_only_missing_keys_are_asked_for(catalog_server, courses):
    get_catalog().get_course_documents(courses[:2])
    catalog_server.reset_counts()

    get_catalog().get_course_documents(courses)

    (request,) = catalog_server.requests_to("content-metadata")
    assert sorted(request.query["content_identifiers"]) == courses[2:]


def test_unknown_content_is_a_cached_answer(catalog_server, courses):
    assert get_catalog().get_course_documents(["edX+GoneX"]) == {"edX+GoneX": None}
    catalog_server.reset_counts()

    assert get_catalog().get_course_documents(["edX+GoneX"]) == {"edX+GoneX": None}
    assert catalog_server.catalog_requests == 0


def test_membership_and_per_run_catalog_lists_are_cached_per_customer(catalog_server, courses):
    runs = [f"course-v1:edX+K{number}+1T2030" for number in range(5)]
    catalog = get_catalog()
    first = catalog.get_catalogs_containing(CUSTOMER, runs)
    members = catalog.filter_content_items(CUSTOMER, courses)
    catalog_server.reset_counts()

    assert catalog.get_catalogs_containing(CUSTOMER, runs) == first
    assert catalog.filter_content_items(CUSTOMER, courses) == members == {"edX+K0", "edX+K1"}
    assert catalog_server.catalog_requests == 0

    assert catalog.filter_content_items("33333333-3333-3333-3333-333333333333", courses) == set()
    assert catalog_server.catalog_requests == 1, "another customer's membership is its own question"


def test_catalog_lists_answer_membership_without_another_request(catalog_server, courses):
    runs = [f"course-v1:edX+K{number}+1T2030" for number in range(5)]
    get_catalog().get_catalogs_containing(CUSTOMER, runs)
    catalog_server.reset_counts()

    assert get_catalog().filter_content_items(CUSTOMER, runs) == set(runs[:2])
    assert catalog_server.catalog_requests == 0


def test_runs_known_to_be_in_no_catalog_need_no_catalog_list(catalog_server, courses):
    runs = [f"course-v1:edX+K{number}+1T2030" for number in range(5)]
    assert get_catalog().filter_content_items(CUSTOMER, runs) == set(runs[:2])
    catalog_server.reset_counts()

    lists = get_catalog().get_catalogs_containing(CUSTOMER, runs)

    assert [bool(lists[run]) for run in runs] == [True, True, False, False, False]
    (contains,) = catalog_server.requests_to("contains_content_items")
    assert sorted(contains.query["course_run_ids"]) == runs[:2], "only the members' catalogs were asked for"


@pytest.mark.parametrize("failure", ["fail_with", "answer_garbage"])
def test_failures_are_never_cached(catalog_server, courses, failure):
    getattr(catalog_server, failure)(500) if failure == "fail_with" else catalog_server.answer_garbage()

    with pytest.raises(CatalogError):
        get_catalog().get_course_documents(courses)
    with pytest.raises(CatalogError):
        get_catalog().get_catalogs_containing(CUSTOMER, ["course-v1:edX+K0+1T2030"])

    catalog_server.recover()
    assert get_catalog().get_course_documents(courses)["edX+K0"]["key"] == "edX+K0"
    assert get_catalog().get_catalogs_containing(CUSTOMER, ["course-v1:edX+K0+1T2030"])["course-v1:edX+K0+1T2030"]


def test_cache_timeout_zero_turns_caching_off(catalog_server, courses, settings):
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "CACHE_TIMEOUT": 0}
    get_catalog().get_course_documents(courses)
    get_catalog().get_course_documents(courses)

    assert catalog_server.catalog_requests == 2


def test_entries_live_under_a_versioned_prefix(catalog_server, courses):
    catalog = get_catalog()
    catalog.get_course_documents(["edX+K0"])

    key = catalog._key("document", "edx+k0")
    assert key.startswith(KEY_PREFIX) and ":v" in KEY_PREFIX
    assert caches["catalog"].get(key)["value"]["key"] == "edX+K0"


def test_a_warm_lookup_of_many_keys_is_one_cache_round_trip(catalog_server, settings):
    settings.CACHES = {**settings.CACHES, "counting": {"BACKEND": f"{__name__}.CountingCache"}}
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "CACHE_ALIAS": "counting"}
    keys = [f"edX+W{number}" for number in range(20)]
    for key in keys:
        catalog_server.add_course(key)
    get_catalog().get_course_documents(keys)
    CountingCache.round_trips = 0

    get_catalog().get_course_documents(keys)

    assert CountingCache.round_trips == 1


def test_get_catalog_wraps_the_configured_client_in_the_cache(catalog_server):
    assert isinstance(get_catalog(), CachedCatalogClient)
