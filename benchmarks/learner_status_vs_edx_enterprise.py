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

Three cache states, measured in turn within each repetition:

* cold: every catalog answer gone (the Django cache and edx-django-utils' request cache emptied), our service's
  OAuth2 token still cached, as it is in a deployment: one token serves every LMS process for its lifetime
  (an hour), while catalog answers expire every ``CACHE_TIMEOUT`` (five minutes). edx-enterprise's client
  never asks for a token (the LMS signs its JWT locally; see ``STAND_INS``).
* cold, new token: every cache emptied, the token too: ours first fetches a token (one more exchange).
* warm: the same request again.

edx-django-utils' ``RequestCacheMiddleware`` runs first, as in the LMS, so nothing is kept between requests
except what the Django cache holds. The intentions are a mix (most enrollable, some runs closed,
some outside the customer's catalogs, some already enrolled, some as run keys), and the script checks that
both bodies put the same content keys in already_enrolled, enrollable and not_enrollable.

Run it with the edx-enterprise test host's interpreter (``make test-edx-enterprise`` creates it;
``make bench`` uses it)::

    .venv-edx-enterprise/bin/python benchmarks/learner_status_vs_edx_enterprise.py [--repetitions 20]

Prints what was stood in for edx-platform, the catalog requests each API makes for one intention, cold, a
table, the targets, and writes ``benchmarks/learner_status_vs_edx_enterprise.json``. Not part of ``make test``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common  # noqa: E402 (the repository root must be importable first)
from benchmarks import _edx_enterprise_host as host  # noqa: E402

DEFAULT_OUTPUT = _common.BENCHMARKS_DIR / "learner_status_vs_edx_enterprise.json"
THEIRS = "/enterprise/api/v1/default-enterprise-enrollment-intentions/learner-status/"
OURS = "/ours/api/v1/default-enterprise-enrollment-intentions/learner-status/"
GROUPS = ("already_enrolled", "enrollable", "not_enrollable")
COLD, COLD_NEW_TOKEN, WARM = "cold", "cold, new token", "warm"
CACHE_STATES = (COLD, COLD_NEW_TOKEN, WARM)

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
        host.configure_host(server)
        import django  # noqa: PLC0415

        django.setup()
        course_mode_model = host.install_stand_ins()
        host.install_urls()
        print("Stood in for edx-platform (outside an LMS edx-enterprise cannot run without these):")
        for line in host.STAND_INS:
            print(f"  - {line}")
        print("Benchmark host settings:")
        for line in host.HOST_SETTINGS:
            print(f"  - {line}")

        with _common.throwaway_database(migrate=False):
            machine = _common.machine()
            import enterprise  # noqa: PLC0415

            machine["edx_enterprise"] = enterprise.__version__
            staff = host.seed_staff()
            rows = []
            requests_seen = {}
            for count in args.intentions:
                world = host.seed_world(server, course_mode_model, count)
                rows.extend(measure(server, staff, world, args.repetitions))
                if count == min(args.intentions):
                    requests_seen = cold_requests(server, staff, world)
    finally:
        server.stop()

    print_requests(requests_seen)
    print_results(rows)
    targets = check_targets(rows)
    _common.write_report(args.output, {
        "benchmark": "learner_status_vs_edx_enterprise",
        "machine": machine,
        "repetitions": args.repetitions,
        "stand_ins": host.STAND_INS,
        "host_settings": host.HOST_SETTINGS,
        "seconds": round(time.monotonic() - started, 1),
        "cold_requests": requests_seen,
        "rows": rows,
        "targets": targets,
    })


# --- measuring --------------------------------------------------------------------------------------------


def clear_caches(*, keep_token: bool = False) -> None:
    """
    Empty every Django cache and the request cache; with ``keep_token``, our service token is fetched again
    before the measured request (through the catalog client, the way any request would) so only the catalog
    answers are gone.
    """
    from django.core.cache import caches  # noqa: PLC0415
    from edx_django_utils.cache import RequestCache  # noqa: PLC0415

    from default_enrollments.catalog import one_client  # noqa: PLC0415

    for cache in caches.all():
        cache.clear()
    RequestCache.clear_all_namespaces()
    if keep_token:
        with one_client() as catalog:  # an uncached question: a token request and one catalog request
            catalog.get_catalogs_holding_any(TOKEN_CUSTOMER, ["course-v1:Bench+Token+Run"])
        RequestCache.clear_all_namespaces()  # the token stays in the Django cache only, as between requests


TOKEN_CUSTOMER = "00000000-0000-0000-0000-000000000000"  # no catalog on the loopback server


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
    """
    Each repetition: per API, every cache emptied then the request (cold, new token), the same request again
    (warm), and the request after emptying the catalog answers only (cold). The APIs alternate, so a noisy
    moment of a shared machine falls on both. One row per cache state.
    """
    from django.test import Client  # noqa: PLC0415

    client = Client()
    client.force_login(staff)
    urls = {"theirs": THEIRS + world["query"], "ours": OURS + world["query"]}
    samples = {(api, cache): [] for api in urls for cache in CACHE_STATES}
    for _ in range(2):  # untimed: load every code path once
        for url in urls.values():
            clear_caches()
            timed_request(server, client, url)
    for _ in range(repetitions):
        for api, url in urls.items():
            clear_caches()
            samples[(api, COLD_NEW_TOKEN)].append(timed_request(server, client, url))
            samples[(api, WARM)].append(timed_request(server, client, url))
            clear_caches(keep_token=True)
            samples[(api, COLD)].append(timed_request(server, client, url))

    expected = {name: sorted(i["content_key"] for i in world["plan"] if i["expected"] == name) for name in GROUPS}
    rows = []
    for cache in CACHE_STATES:
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


def cold_requests(server, staff, world: dict) -> dict[str, list[str]]:
    """The requests each API sends the catalog for this world, every cache emptied (ids and keys elided)."""
    from django.test import Client  # noqa: PLC0415

    client = Client()
    client.force_login(staff)
    seen = {}
    for api, path in (("theirs", THEIRS), ("ours", OURS)):
        clear_caches()
        timed_request(server, client, path + world["query"])
        seen[api] = [describe(request) for request in server.requests]
    return seen


def describe(request) -> str:
    """``METHOD path`` of a recorded request, with uuids and content keys replaced by placeholders."""
    parts = request.path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        parts = parts[2:]
        if parts[:1] == ["enterprise-customer"] and len(parts) > 1:
            parts[1] = "<customer>"
        if parts[:1] == ["content-metadata"] and len(parts) > 1 and parts[1]:
            parts[1] = "<key>"
    query = "?content_identifiers=..." if "content_identifiers" in request.query else ""
    return f"{request.method} {'/'.join(parts)}/{query}"


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
    ("token req ours", "ours_token_requests"),
    ("ms theirs", "theirs_ms"),
    ("ms ours", "ours_ms"),
    ("ours/theirs", "ms_ratio"),
    ("grouping a/e/n", "grouping"),
]


def print_requests(seen: dict[str, list[str]]) -> None:
    print("\nCatalog requests for one intention, every cache emptied (token requests included here):")
    for api, requests in seen.items():
        print(f"  {api}: {len(requests)}")
        for request in requests:
            print(f"    {request}")


def print_results(rows: list[dict]) -> None:
    _common.print_table(
        "learner-status: edx-enterprise (theirs) and default_enrollments (ours); medians; catalog requests exclude "
        "OAuth2 token requests (edx-enterprise's client never makes one)",
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
    smallest = min(row["intentions"] for row in rows)
    largest = max(row["intentions"] for row in rows)
    targets = []
    for row in (row for row in rows if row["intentions"] == smallest and row["cache"] != WARM):
        theirs, ours = row["theirs_catalog_requests"], row["ours_catalog_requests"]
        targets.append((
            f"N={smallest} {row['cache']}: no more catalog requests than edx-enterprise",
            isinstance(theirs, int) and isinstance(ours, int) and ours <= theirs,
            f"theirs {theirs}, ours {ours}" + (f" and {row['ours_token_requests']} token request"
                                               if row["ours_token_requests"] else ""),
        ))
        targets.append((
            f"N={smallest} {row['cache']}: median time no worse than edx-enterprise's",
            row["ours_ms"] <= row["theirs_ms"],
            f"theirs {row['theirs_ms']:.2f} ms, ours {row['ours_ms']:.2f} ms",
        ))
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
    warm = [row for row in rows if row["cache"] == WARM]
    targets.append((
        "warm: no catalog request (every N)",
        all(row["ours_catalog_requests"] == 0 and row["ours_token_requests"] == 0 for row in warm),
        ", ".join(f"N={row['intentions']}: {row['ours_catalog_requests']}" for row in warm),
    ))
    targets.append((
        "both bodies group the intentions the same way (every N and cache state)",
        all(row["same_grouping"] for row in rows),
        ", ".join(f"N={row['intentions']} {row['cache']}: {row['grouping']}" for row in rows),
    ))
    return _common.check_targets(targets)


if __name__ == "__main__":
    main()
