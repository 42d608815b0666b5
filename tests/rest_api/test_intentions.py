"""Listing and retrieving intentions: edx-enterprise's fields, resolved through the catalog in one batch."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.catalog_server import course_run
from tests.factories import DefaultEnterpriseEnrollmentIntentionFactory, EnterpriseCustomerFactory
from tests.rest_api.conftest import detail_url, list_url

pytestmark = pytest.mark.django_db

INTENTION_KEYS = {
    "uuid", "content_key", "enterprise_customer", "course_key", "course_run_key", "is_course_run_enrollable",
    "best_mode_for_course_run", "applicable_enterprise_catalog_uuids", "course_run_normalized_metadata",
    "created", "modified",
}
PAGE_KEYS = {"next", "previous", "count", "num_pages", "current_page", "start", "results", "catalog_unavailable"}


def listing(client, customer, **params):
    response = client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid), **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_list_shows_resolved_runs_in_edx_enterprise_fields(staff_client, customer, catalog_server):
    catalog_server.add_course(
        "edX+DemoX",
        runs=[course_run("course-v1:edX+DemoX+Old", is_enrollable=False), "course-v1:edX+DemoX+Demo_Course"],
    )
    catalog_uuid = catalog_server.add_catalog(customer.uuid, ["edX+DemoX"])
    course = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    run = DefaultEnterpriseEnrollmentIntentionFactory(
        enterprise_customer=customer, content_key="course-v1:edX+DemoX+Old"
    )

    body = listing(staff_client, customer)

    assert set(body) == PAGE_KEYS
    assert (body["count"], body["num_pages"], body["current_page"], body["start"]) == (2, 1, 1, 0)
    assert body["catalog_unavailable"] is False
    by_key = {item["content_key"]: item for item in body["results"]}
    assert [item["content_key"] for item in body["results"]] == ["course-v1:edX+DemoX+Old", "edX+DemoX"]
    assert set(by_key["edX+DemoX"]) == INTENTION_KEYS
    assert by_key["edX+DemoX"] | {"created": None, "modified": None} == {
        "uuid": str(course.uuid),
        "content_key": "edX+DemoX",
        "enterprise_customer": str(customer.uuid),
        "course_key": "edX+DemoX",
        "course_run_key": "course-v1:edX+DemoX+Demo_Course",  # the advertised run
        "is_course_run_enrollable": True,
        "best_mode_for_course_run": "verified",
        "applicable_enterprise_catalog_uuids": [catalog_uuid],
        "course_run_normalized_metadata": by_key["edX+DemoX"]["course_run_normalized_metadata"],
        "created": None,
        "modified": None,
    }
    assert by_key["edX+DemoX"]["course_run_normalized_metadata"]["start_date"] == "2024-01-01T00:00:00Z"
    assert by_key["course-v1:edX+DemoX+Old"]["uuid"] == str(run.uuid)
    assert by_key["course-v1:edX+DemoX+Old"]["course_run_key"] == "course-v1:edX+DemoX+Old"
    assert by_key["course-v1:edX+DemoX+Old"]["is_course_run_enrollable"] is False


def test_list_shows_only_the_customers_live_intentions(staff_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Kept")
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Gone").delete()
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=EnterpriseCustomerFactory(), content_key="edX+B")

    body = listing(staff_client, customer)

    assert [item["content_key"] for item in body["results"]] == ["edX+Kept"]


def test_unknown_content_is_listed_with_empty_run_fields(staff_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+Vanished")

    item = listing(staff_client, customer)["results"][0]

    assert item["course_key"] is None
    assert item["course_run_key"] is None
    assert item["is_course_run_enrollable"] is False
    assert item["best_mode_for_course_run"] is None
    assert item["applicable_enterprise_catalog_uuids"] == []
    assert item["course_run_normalized_metadata"] == {}


def test_list_is_paginated(staff_client, customer, catalog_server):
    for n in range(12):
        DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=f"edX+C{n:02d}")

    first = listing(staff_client, customer)
    second = listing(staff_client, customer, page=2)
    small = listing(staff_client, customer, page_size=5)

    assert (first["count"], first["num_pages"], len(first["results"])) == (12, 2, 10)
    assert first["next"] and first["previous"] is None
    assert (second["current_page"], second["start"], len(second["results"])) == (2, 10, 2)
    assert [i["content_key"] for i in second["results"]] == ["edX+C10", "edX+C11"]
    assert (small["num_pages"], len(small["results"])) == (3, 5)


def test_page_past_the_end_is_404(staff_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)

    response = staff_client.get(list_url(), {"enterprise_customer_uuid": str(customer.uuid), "page": 9})

    assert response.status_code == 404


def test_list_resolves_a_page_in_one_batch(staff_client, customer, catalog_server):
    keys = [f"edX+Batch{n}" for n in range(8)]
    for key in keys:
        catalog_server.add_course(key)
        DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=key)
    catalog_server.add_catalog(customer.uuid, keys)

    listing(staff_client, customer)

    assert len(catalog_server.requests_to("content-metadata")) == 1


def test_list_query_count_does_not_grow_with_the_page(staff_client, catalog_server):
    def cost(count):
        customer = EnterpriseCustomerFactory()
        for n in range(count):
            DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key=f"Q{count}+C{n}")
        with CaptureQueriesContext(connection) as queries:
            assert listing(staff_client, customer)["count"] == count
        return len(queries)

    assert cost(1) == cost(10)


def test_catalog_down_still_lists_and_says_so(staff_client, customer, catalog_server):
    DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")
    catalog_server.fail_with(500)

    body = listing(staff_client, customer)

    assert body["catalog_unavailable"] is True
    assert body["results"][0]["course_run_key"] is None


def test_retrieve_shows_one_intention(staff_client, customer, catalog_server):
    catalog_server.add_course("edX+DemoX", runs=["course-v1:edX+DemoX+2030"])
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer, content_key="edX+DemoX")

    response = staff_client.get(detail_url(intention.uuid), {"enterprise_customer_uuid": str(customer.uuid)})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == INTENTION_KEYS
    assert body["uuid"] == str(intention.uuid)
    assert body["course_run_key"] == "course-v1:edX+DemoX+2030"
    assert body["applicable_enterprise_catalog_uuids"] == []


def test_retrieve_with_malformed_customer_is_400(staff_client, customer, catalog_server):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)

    assert staff_client.get(detail_url(intention.uuid), {"enterprise_customer_uuid": "x"}).status_code == 400


def test_retrieve_when_catalog_is_down_is_not_a_server_error(staff_client, customer, catalog_server):
    intention = DefaultEnterpriseEnrollmentIntentionFactory(enterprise_customer=customer)
    catalog_server.go_down()

    response = staff_client.get(detail_url(intention.uuid))

    assert response.status_code == 200
    assert response.json()["course_run_key"] is None
