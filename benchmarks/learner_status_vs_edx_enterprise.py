"""
learner-status, ours against edx-enterprise's: SQL statements, catalog requests and wall time, side by side.

Both run in one process on one database with edx-enterprise's models as the host models
(``tests/settings_edx_enterprise.py``), so they read the very same customer, learner and enterprise
enrollments. For N = 1, 10 and 50 the customer gets N intentions twice over, as edx-enterprise's
``DefaultEnterpriseEnrollmentIntention`` rows and as ours, naming the same content; both catalog clients talk
to the same loopback enterprise-catalog (real HTTP on 127.0.0.1) through the same
``ENTERPRISE_CATALOG_INTERNAL_ROOT_URL``. A staff user asks each API about the learner (``lms_user_id``):

* edx-enterprise: ``/enterprise/api/v1/default-enterprise-enrollment-intentions/learner-status/``
* ours, mounted at ``/ours/``: ``/ours/api/v1/default-enterprise-enrollment-intentions/learner-status/``

Cold: every cache emptied first (the Django cache and edx-django-utils' request cache). Warm: the same request
again. edx-django-utils' ``RequestCacheMiddleware`` runs first, as in the LMS, so nothing is kept between
requests except what the Django cache holds. The intentions are a mix (most enrollable, some runs closed,
some outside the customer's catalogs, some already enrolled, some as run keys), and the script checks that
both bodies put the same content keys in already_enrolled, enrollable and not_enrollable.

Run it with the edx-enterprise test host's interpreter (``make test-edx-enterprise`` creates it;
``make bench`` uses it)::

    .venv-edx-enterprise/bin/python benchmarks/learner_status_vs_edx_enterprise.py [--repetitions 20]

Prints what was stood in for edx-platform, a table, the targets of issue 10, and writes
``benchmarks/learner_status_vs_edx_enterprise.json``. Not part of ``make test``.
"""
from __future__ import annotations

import argparse
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common  # noqa: E402 (the repository root must be importable first)

DEFAULT_OUTPUT = _common.BENCHMARKS_DIR / "learner_status_vs_edx_enterprise.json"
THEIRS = "/enterprise/api/v1/default-enterprise-enrollment-intentions/learner-status/"
OURS = "/ours/api/v1/default-enterprise-enrollment-intentions/learner-status/"
OUR_PREFIX = "ours/"
GROUPS = ("already_enrolled", "enrollable", "not_enrollable")

# What edx-platform would provide and this process has not; each is installed by install_stand_ins().
STAND_INS = [
    "enterprise.api_client.client.JwtBuilder: edx-platform's oauth_dispatch.jwt module; the stand-in's "
    "create_jwt_for_user(user) returns the loopback catalog's access token (no HTTP call, as in the LMS, "
    "where the JWT is signed locally)",
    "enterprise.utils.CourseMode: edx-platform's course_modes.CourseMode; the stand-in is a table "
    "(course_id, slug) filled with each run's seat types from the catalog, so best_mode_for_course_run "
    "costs one SELECT per call, as in the LMS",
    "enterprise.models.CourseEnrollment: edx-platform's student.CourseEnrollment; the stand-in is the "
    "reference host's CourseEnrollment (user, course_id, mode, is_active), the table our reference "
    "enrollment backend reads, so both APIs see the same LMS enrollments",
]
HOST_SETTINGS = [
    "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL and ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_* point at the loopback catalog",
    "MIDDLEWARE starts with edx_django_utils.cache.middleware.RequestCacheMiddleware, as in the LMS",
    "REST_FRAMEWORK's user throttle rate is raised so repetitions are not throttled (both APIs still throttle)",
    "the test database schema is built from the models (TEST MIGRATE = False)",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--intentions", nargs="+", type=int, default=[1, 10, 50])
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    try:
        import enterprise  # noqa: F401, PLC0415
    except ImportError:
        raise SystemExit(
            "edx-enterprise is not installed here: run this script with .venv-edx-enterprise/bin/python "
            "(make test-edx-enterprise creates it; make bench uses it)"
        ) from None

    started = time.monotonic()
    _common.prepare_environment("tests.settings_edx_enterprise", "sqlite")
    server = _common.start_catalog_server()
    try:
        configure_host(server)
        import django  # noqa: PLC0415

        django.setup()
        course_mode_model = install_stand_ins()
        install_urls()
        print("Stood in for edx-platform (outside an LMS edx-enterprise cannot run without these):")
        for line in STAND_INS:
            print(f"  - {line}")
        print("Benchmark host settings:")
        for line in HOST_SETTINGS:
            print(f"  - {line}")

        with _common.throwaway_database(migrate=False):
            machine = _common.machine()
            import enterprise  # noqa: PLC0415

            machine["edx_enterprise"] = enterprise.__version__
            staff = seed_staff()
            rows = []
            for count in args.intentions:
                world = seed_world(server, course_mode_model, count)
                rows.extend(measure(server, staff, world, args.repetitions))
    finally:
        server.stop()

    print_results(rows)
    targets = check_targets(rows)
    _common.write_report(args.output, {
        "benchmark": "learner_status_vs_edx_enterprise",
        "machine": machine,
        "repetitions": args.repetitions,
        "stand_ins": STAND_INS,
        "host_settings": HOST_SETTINGS,
        "seconds": round(time.monotonic() - started, 1),
        "rows": rows,
        "targets": targets,
    })


# --- the host ---------------------------------------------------------------------------------------------


def configure_host(server) -> None:
    """Settings both apps read, set before ``django.setup()`` (edx-enterprise reads its catalog URL on import)."""
    from django.conf import settings  # noqa: PLC0415

    from tests import catalog_server  # noqa: PLC0415

    settings.ENTERPRISE_CATALOG_INTERNAL_ROOT_URL = server.root_url
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL = server.oauth2_url
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY = catalog_server.CLIENT_ID
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET = catalog_server.CLIENT_SECRET
    settings.MIDDLEWARE = ["edx_django_utils.cache.middleware.RequestCacheMiddleware", *settings.MIDDLEWARE]
    rest_framework = dict(getattr(settings, "REST_FRAMEWORK", {}))
    rest_framework["DEFAULT_THROTTLE_RATES"] = {
        **rest_framework.get("DEFAULT_THROTTLE_RATES", {}), "user": "1000000/minute",
    }
    settings.REST_FRAMEWORK = rest_framework


def install_stand_ins():
    """The three edx-platform pieces listed in ``STAND_INS``; returns the course-mode stand-in model."""
    from django.db import models  # noqa: PLC0415
    from enterprise import models as enterprise_models  # noqa: PLC0415
    from enterprise import utils as enterprise_utils  # noqa: PLC0415
    from enterprise.api_client import client as enterprise_client  # noqa: PLC0415

    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415
    from tests.catalog_server import ACCESS_TOKEN  # noqa: PLC0415

    enterprise_client.JwtBuilder = types.SimpleNamespace(create_jwt_for_user=lambda user: ACCESS_TOKEN)

    class CourseModeStandIn(models.Model):
        course_id = models.CharField(max_length=255, db_index=True)
        slug = models.CharField(max_length=100)

        class Meta:
            app_label = "default_enrollments_reference"  # an installed app, so the test database gets the table
            db_table = "benchmark_course_modes"

        def __str__(self) -> str:
            return f"{self.course_id} {self.slug}"

    enterprise_utils.CourseMode = CourseModeStandIn
    enterprise_models.CourseEnrollment = CourseEnrollment
    return CourseModeStandIn


def install_urls() -> None:
    """edx-enterprise's URLs as an LMS mounts them, and ours at ``/ours/`` so both answer side by side."""
    from django.conf import settings  # noqa: PLC0415
    from django.urls import clear_url_caches, include, path  # noqa: PLC0415

    urlconf = types.ModuleType("learner_status_benchmark_urls")
    urlconf.urlpatterns = [
        path(OUR_PREFIX, include("default_enrollments.urls")),
        path("", include("enterprise.urls")),
    ]
    settings.ROOT_URLCONF = urlconf
    clear_url_caches()


# --- the world --------------------------------------------------------------------------------------------


def seed_staff():
    """The user who asks (staff may name the learner with ``lms_user_id`` in both APIs) and edx-enterprise's
    service worker, whom its catalog client looks up on every construction."""
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    users = get_user_model()._default_manager
    users.create_user(username=settings.ENTERPRISE_SERVICE_WORKER_USERNAME, email="worker@example.com")
    return users.create_superuser(username="bench-staff", email="staff@example.com", password="unused")


def intention_plan(count: int) -> list[dict]:
    """
    N intentions with a known expected group each: most enrollable; every 5th course's advertised run closed,
    every 7th course outside the customer's catalogs (not enrollable); every 3rd already enrolled in verified;
    every 4th (else) enrolled in audit with verified on offer (enrollable: an upgrade); every 6th named by its
    run key rather than its course key.
    """
    plan = []
    for number in range(1, count + 1):
        course_key = f"LS{count}+Course{number:03d}"
        run_key = f"course-v1:{course_key}+1T2030"
        closed = number % 5 == 0
        in_catalog = number % 7 != 0
        enrollment = None
        if number % 3 == 0:
            enrollment = "verified"
        elif number % 4 == 0:
            enrollment = "audit"
        if closed or not in_catalog:
            expected = "already_enrolled" if enrollment == "verified" else "not_enrollable"
        else:
            expected = "already_enrolled" if enrollment == "verified" else "enrollable"
        plan.append({
            "course_key": course_key,
            "run_key": run_key,
            "content_key": run_key if number % 6 == 0 else course_key,
            "closed": closed,
            "in_catalog": in_catalog,
            "enrollment": enrollment,
            "expected": expected,
        })
    return plan


def seed_world(server, course_mode_model, count: int) -> dict:
    """A customer, its catalog on the loopback server, a linked learner and the N intentions, twice over."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from enterprise import models as enterprise_models  # noqa: PLC0415

    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415
    from default_enrollments.models import DefaultEnterpriseEnrollmentIntention  # noqa: PLC0415
    from tests.catalog_server import course_run  # noqa: PLC0415

    plan = intention_plan(count)
    customer = enterprise_models.EnterpriseCustomer.objects.create(
        name=f"Learner status benchmark {count}", slug=f"learner-status-{count}", active=True
    )
    for item in plan:
        server.add_course(item["course_key"], [course_run(item["run_key"], is_enrollable=not item["closed"])])
        course_mode_model.objects.bulk_create(
            [course_mode_model(course_id=item["run_key"], slug=slug) for slug in ("audit", "verified")]
        )
    server.add_catalog(customer.uuid, [item["course_key"] for item in plan if item["in_catalog"]])

    learner = get_user_model()._default_manager.create_user(
        username=f"ls-learner-{count}", email=f"ls-learner-{count}@example.com"
    )
    # Inserted without post_save: neither edx-enterprise's link receivers nor our link trigger run.
    [link] = enterprise_models.EnterpriseCustomerUser.objects.bulk_create([
        enterprise_models.EnterpriseCustomerUser(
            enterprise_customer=customer, user_id=learner.pk, active=True, linked=True
        )
    ])
    enrolled = [item for item in plan if item["enrollment"]]
    CourseEnrollment.objects.bulk_create([
        CourseEnrollment(user=learner, course_id=item["run_key"], mode=item["enrollment"], is_active=True)
        for item in enrolled
    ])
    enterprise_models.EnterpriseCourseEnrollment.objects.bulk_create([
        enterprise_models.EnterpriseCourseEnrollment(enterprise_customer_user=link, course_id=item["run_key"])
        for item in enrolled
    ])
    for item in plan:
        # edx-enterprise's save() runs full_clean(), which resolves the key through its catalog client.
        enterprise_models.DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=customer, content_key=item["content_key"]
        )
        DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=customer, content_key=item["content_key"]
        )
    query = f"?enterprise_customer_uuid={customer.uuid}&lms_user_id={learner.pk}"
    return {"count": count, "customer": customer, "learner": learner, "plan": plan, "query": query}


# --- measuring --------------------------------------------------------------------------------------------


def clear_caches() -> None:
    from django.core.cache import caches  # noqa: PLC0415
    from edx_django_utils.cache import RequestCache  # noqa: PLC0415

    for cache in caches.all():
        cache.clear()
    RequestCache.clear_all_namespaces()


def timed_request(server, client, url: str) -> dict:
    server.reset_counts()
    with _common.counting_queries() as queries:
        milliseconds, response = _common.timed(lambda: client.get(url))
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:500]!r}")
    return {
        "ms": milliseconds,
        "queries": queries.count,
        "catalog_requests": server.catalog_requests,
        "token_requests": server.token_requests,
        "body": response.json(),
    }


def grouping(body: dict) -> dict[str, list[str]]:
    """Content keys per group of a learner-status body (the shape both APIs share)."""
    statuses = body["enrollment_statuses"]
    groups = {
        "already_enrolled": statuses["already_enrolled"],
        "enrollable": statuses["needs_enrollment"]["enrollable"],
        "not_enrollable": statuses["needs_enrollment"]["not_enrollable"],
    }
    return {name: sorted(intention["content_key"] for intention in groups[name]) for name in GROUPS}


def measure(server, staff, world: dict, repetitions: int) -> list[dict]:
    """Cold then warm for edx-enterprise, then for us, ``repetitions`` times; one row per cache state."""
    from django.test import Client  # noqa: PLC0415

    client = Client()
    client.force_login(staff)
    urls = {"theirs": THEIRS + world["query"], "ours": OURS + world["query"]}
    samples = {(api, cache): [] for api in urls for cache in ("cold", "warm")}
    for _ in range(2):  # untimed: load every code path once
        for url in urls.values():
            clear_caches()
            timed_request(server, client, url)
    for _ in range(repetitions):
        for api, url in urls.items():
            clear_caches()
            samples[(api, "cold")].append(timed_request(server, client, url))
            samples[(api, "warm")].append(timed_request(server, client, url))

    expected = {name: sorted(i["content_key"] for i in world["plan"] if i["expected"] == name) for name in GROUPS}
    rows = []
    for cache in ("cold", "warm"):
        theirs, ours = samples[("theirs", cache)], samples[("ours", cache)]
        their_groups = [grouping(sample["body"]) for sample in theirs]
        our_groups = [grouping(sample["body"]) for sample in ours]
        same = all(groups == their_groups[0] for groups in their_groups + our_groups)
        row = {"intentions": world["count"], "cache": cache}
        for api, api_samples in (("theirs", theirs), ("ours", ours)):
            row[f"{api}_queries"] = _common.constant([sample["queries"] for sample in api_samples])
            row[f"{api}_catalog_requests"] = _common.constant([sample["catalog_requests"] for sample in api_samples])
            row[f"{api}_token_requests"] = _common.constant([sample["token_requests"] for sample in api_samples])
            spread = _common.spread([sample["ms"] for sample in api_samples])
            row[f"{api}_ms"] = spread["median"]
            row[f"{api}_spread_ms"] = spread
        row["queries_ratio"] = ratio(row["ours_queries"], row["theirs_queries"])
        row["catalog_requests_ratio"] = ratio(row["ours_catalog_requests"], row["theirs_catalog_requests"])
        row["ms_ratio"] = ratio(row["ours_ms"], row["theirs_ms"])
        row["same_grouping"] = same
        row["grouping_counts"] = {name: len(their_groups[0][name]) for name in GROUPS}
        counts = "/".join(str(count) for count in row["grouping_counts"].values())
        row["grouping"] = f"same {counts}" if same else "DIFFERENT"
        row["as_planned"] = their_groups[0] == expected and our_groups[0] == expected
        if not same or not row["as_planned"]:
            row["groupings"] = {"theirs": their_groups[0], "ours": our_groups[0], "planned": expected}
        row["field_differences"] = field_differences(theirs[-1]["body"], ours[-1]["body"])
        rows.append(row)
    return rows


def ratio(ours, theirs) -> float | None:
    """ours / theirs (None when a count varied between repetitions or theirs is zero)."""
    if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)) or not theirs:
        return None
    return round(ours / theirs, 3)


COMPARED_FIELDS = ("course_key", "course_run_key", "is_course_run_enrollable", "best_mode_for_course_run",
                   "applicable_enterprise_catalog_uuids", "course_run_normalized_metadata", "has_existing_enrollment",
                   "is_existing_enrollment_active", "is_existing_enrollment_audit")


def field_differences(theirs: dict, ours: dict) -> dict[str, int]:
    """For information: how many intentions differ in each shared field (matched by content key)."""

    def by_key(body: dict) -> dict[str, dict]:
        statuses = body["enrollment_statuses"]
        intentions = (statuses["already_enrolled"] + statuses["needs_enrollment"]["enrollable"]
                      + statuses["needs_enrollment"]["not_enrollable"])
        return {intention["content_key"]: intention for intention in intentions}

    their_intentions, our_intentions = by_key(theirs), by_key(ours)
    differences = {}
    for name in COMPARED_FIELDS:
        differing = sum(
            1 for key, intention in their_intentions.items()
            if key in our_intentions and normalized(intention.get(name)) != normalized(our_intentions[key].get(name))
        )
        if differing:
            differences[name] = differing
    return differences


def normalized(value):
    if isinstance(value, list):
        return sorted(map(str, value))
    return value


# --- output -----------------------------------------------------------------------------------------------

COLUMNS = [
    ("N", "intentions"),
    ("cache", "cache"),
    ("queries theirs", "theirs_queries"),
    ("queries ours", "ours_queries"),
    ("ours/theirs", "queries_ratio"),
    ("catalog req theirs", "theirs_catalog_requests"),
    ("catalog req ours", "ours_catalog_requests"),
    ("ours/theirs", "catalog_requests_ratio"),
    ("ms theirs", "theirs_ms"),
    ("ms ours", "ours_ms"),
    ("ours/theirs", "ms_ratio"),
    ("grouping a/e/n", "grouping"),
]


def print_results(rows: list[dict]) -> None:
    _common.print_table(
        "learner-status: edx-enterprise (theirs) and default_enrollments (ours); medians; catalog requests exclude "
        "OAuth2 token requests",
        COLUMNS,
        rows,
    )
    print("grouping a/e/n = intentions in already_enrolled / enrollable / not_enrollable, when both bodies agree")
    for row in rows:
        if not row["as_planned"]:
            print(f"N={row['intentions']} {row['cache']}: grouping differs from the plan: {row.get('groupings')}")
        if row["field_differences"]:
            print(f"N={row['intentions']} {row['cache']}: intentions differing per field: {row['field_differences']}")


def check_targets(rows: list[dict]) -> list[dict]:
    largest = max(row["intentions"] for row in rows)
    targets = []
    for row in (row for row in rows if row["intentions"] == largest):
        theirs, ours = row["theirs_catalog_requests"], row["ours_catalog_requests"]
        both_zero = theirs == 0 and ours == 0
        fewer = isinstance(theirs, int) and isinstance(ours, int) and theirs >= 10 * ours
        targets.append((
            f"N={largest} {row['cache']}: at least 10x fewer catalog requests than edx-enterprise",
            None if both_zero else fewer,
            f"theirs {theirs}, ours {ours}"
            + (" (both answer from the Django cache: edx-enterprise caches every catalog answer too)"
               if both_zero else ""),
        ))
        targets.append((
            f"N={largest} {row['cache']}: at least 3x lower median time than edx-enterprise",
            row["theirs_ms"] >= 3 * row["ours_ms"],
            f"theirs {row['theirs_ms']:.2f} ms, ours {row['ours_ms']:.2f} ms "
            f"({row['theirs_ms'] / row['ours_ms']:.1f}x)",
        ))
    targets.append((
        "both bodies group the intentions the same way (every N, cold and warm)",
        all(row["same_grouping"] for row in rows),
        ", ".join(f"N={row['intentions']} {row['cache']}: {row['grouping']}" for row in rows),
    ))
    return _common.check_targets(targets)


if __name__ == "__main__":
    main()
