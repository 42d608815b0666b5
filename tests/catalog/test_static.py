"""The static catalog: the same answers as the service, from a JSON file, without a network."""
from __future__ import annotations

import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from default_enrollments import api
from default_enrollments.catalog import get_catalog
from default_enrollments.catalog.resolution import resolve
from default_enrollments.catalog.static import StaticCatalogClient
from default_enrollments.contrib.reference_host import DEMO_CATALOG_FIXTURE
from default_enrollments.data import Reason
from default_enrollments.models import DefaultEnterpriseEnrollmentIntention
from tests.catalog_server import course_document
from tests.factories import EnterpriseCustomerFactory

STATIC = "default_enrollments.catalog.static.StaticCatalogClient"
DEMO_CATALOG_UUID = "a6c1e9b4-0d7f-4c2a-9a57-5b1f8e0d4c11"


@pytest.fixture
def demo_catalog(settings):
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_CLIENT": STATIC, "CATALOG_FIXTURE": DEMO_CATALOG_FIXTURE}


def intentions_for(customer, keys):
    return [DefaultEnterpriseEnrollmentIntention(enterprise_customer=customer, content_key=key) for key in keys]


@pytest.mark.django_db
def test_the_demo_catalog_resolves_every_kind_of_run(demo_catalog):
    customer = EnterpriseCustomerFactory()
    keys = [
        "edX+DemoX",
        "course-v1:edX+DemoX+1T2024",
        "edX+E2E-101",
        "course-v1:edX+E2E-101+Honor",
        "course-v1:edX+E2E-101+1T2025",
        "course-v1:edX+E2E-101+course",
    ]
    intentions = list(api.resolved_intentions(intentions_for(customer, keys)).values())

    summary = [(i.course_run_key, i.is_course_run_enrollable, i.best_mode_for_course_run) for i in intentions]
    assert summary == [
        ("course-v1:edX+DemoX+Demo_Course", True, "verified"),  # the advertised current run
        ("course-v1:edX+DemoX+1T2024", False, "verified"),  # archived
        ("course-v1:edX+E2E-101+course", True, "verified"),  # advertised; its credit seat is never the mode
        ("course-v1:edX+E2E-101+Honor", True, "honor"),  # honor only
        ("course-v1:edX+E2E-101+1T2025", False, "verified"),  # closed
        ("course-v1:edX+E2E-101+course", True, "verified"),
    ]
    assert all(list(i.applicable_enterprise_catalog_uuids) == [DEMO_CATALOG_UUID] for i in intentions)
    assert intentions[0].course_run_normalized_metadata["content_price"] == 149.0


def test_the_static_client_never_touches_the_network(demo_catalog, catalog_server):
    catalog = get_catalog()
    catalog.get_course_documents(["edX+DemoX"])
    catalog.get_catalogs_containing("44444444-4444-4444-4444-444444444444", ["course-v1:edX+DemoX+Demo_Course"])

    assert catalog_server.requests == []


def test_unknown_content_and_missing_runs_read_as_in_the_service(demo_catalog):
    documents = get_catalog().get_course_documents(["edX+GoneX", "course-v1:edX+DemoX+9T2099"])

    assert documents["edX+GoneX"] is None
    assert documents["course-v1:edX+DemoX+9T2099"]["key"] == "edX+DemoX"  # its course, which lacks the run
    assert resolve("course-v1:edX+DemoX+9T2099", documents["course-v1:edX+DemoX+9T2099"]).reason == (
        Reason.RUN_NOT_IN_COURSE
    )


def test_catalogs_for_star_apply_to_every_customer_and_named_ones_only_to_theirs(tmp_path):
    fixture = tmp_path / "catalog.json"
    fixture.write_text(
        json.dumps(
            {
                "courses": [course_document("edX+A"), course_document("edX+B")],
                "catalogs": {
                    "*": {"everyone": ["edX+A"]},
                    "55555555-5555-5555-5555-555555555555": {"theirs": ["course-v1:edX+B+1T2030"]},
                },
            }
        )
    )
    client = StaticCatalogClient(str(fixture))
    keys = ["edX+A", "course-v1:edX+A+1T2030", "edX+B", "course-v1:edX+B+1T2030"]

    assert client.filter_content_items("55555555-5555-5555-5555-555555555555", keys) == {
        "edX+A", "course-v1:edX+A+1T2030", "course-v1:edX+B+1T2030",
    }
    assert client.filter_content_items("66666666-6666-6666-6666-666666666666", keys) == {
        "edX+A", "course-v1:edX+A+1T2030",
    }
    assert client.filter_content_items("55555555-5555-5555-5555-555555555555", keys, ["theirs"]) == {
        "course-v1:edX+B+1T2030",
    }
    assert client.get_catalogs_containing(
        "55555555-5555-5555-5555-555555555555", ["course-v1:edX+A+1T2030", "course-v1:edX+B+1T2030"]
    ) == {"course-v1:edX+A+1T2030": ("everyone",), "course-v1:edX+B+1T2030": ("theirs",)}


def test_a_missing_fixture_names_the_path(settings, tmp_path):
    missing = tmp_path / "nowhere.json"
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_CLIENT": STATIC, "CATALOG_FIXTURE": str(missing)}

    with pytest.raises(ImproperlyConfigured, match=str(missing)):
        get_catalog()


def test_an_unset_fixture_says_which_setting_to_fill(settings):
    settings.DEFAULT_ENROLLMENTS = {"CATALOG_CLIENT": STATIC}

    with pytest.raises(ImproperlyConfigured, match="CATALOG_FIXTURE"):
        get_catalog()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not a readable JSON file"),
        ("[]", "top level"),
        ('{"courses": {}}', '"courses" must be a list'),
        ('{"courses": [{"title": "no key"}]}', "courses[0]"),
        ('{"courses": [], "catalogs": {"*": {"c": "edX+A"}}}', "catalogs['*']"),
    ],
)
def test_an_invalid_fixture_is_improperly_configured_with_the_path(tmp_path, content, problem):
    fixture = tmp_path / "broken.json"
    fixture.write_text(content)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        StaticCatalogClient(str(fixture))

    assert str(fixture) in str(excinfo.value) and problem in str(excinfo.value)


def test_an_edited_fixture_is_read_again(tmp_path):
    fixture = tmp_path / "catalog.json"
    fixture.write_text(json.dumps({"courses": [course_document("edX+A")]}))
    assert StaticCatalogClient(str(fixture)).get_course_documents(["edX+B"]) == {"edX+B": None}

    fixture.write_text(json.dumps({"courses": [course_document("edX+A"), course_document("edX+B")]}))
    os.utime(fixture, (1, 1))  # a different modification time, whatever the clock resolution
    assert StaticCatalogClient(str(fixture)).get_course_documents(["edX+B"])["edX+B"]["key"] == "edX+B"
