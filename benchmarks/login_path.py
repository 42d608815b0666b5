"""
What does this app add to a login? Queries, catalog requests and wall time, at 1, 10 and 50 intentions.

A host (the reference host models, ``tests/settings.py``) with one customer whose N intentions each name a
course in the customer's catalog on a loopback enterprise-catalog server (real HTTP on 127.0.0.1). For each N
and each repetition, four logins through Django's test ``Client.login``, interleaved so drift hits all alike:

* cold, app off: a fresh learner, the cache cleared, ``REALIZE_ON_LOGIN = False``;
* cold, app on: a fresh learner, the cache cleared: the first login, which enrolls in all N runs;
* warm, app off: a learner enrolled long ago, ``REALIZE_ON_LOGIN = False``;
* warm, app on: the same learner with the catalog answers cached: nothing to do.

Reported per row: SQL statements of the whole login and of the realization alone, catalog requests (OAuth2
token requests counted apart), the median wall time of the login with the app on and off (their ratio and
difference), and the median wall time of the realization itself, timed around the function the login
receiver hands the work to (``default_enrollments.handlers._realize_now``). Median over ``--repetitions``
(default 25). Each run creates and destroys its own test database::

    python benchmarks/login_path.py                 # SQLite in memory
    python benchmarks/login_path.py --db mysql --repetitions 40
    .venv-edx-enterprise/bin/python benchmarks/login_path.py --host edx-enterprise   # edx-enterprise's models

``--host edx-enterprise`` runs on ``tests/settings_edx_enterprise.py``: edx-enterprise's customer, link and
enterprise-enrollment models (with their history and receivers) are the host models, the tables built from the
models. ``statements per enrollment`` is a first login's statements with the app on minus those with it off,
divided by N: what each realized enrollment costs, the login itself subtracted.

Prints a table, checks its targets and writes ``benchmarks/login_path.json`` (``login_path_edx_enterprise.json``
for that host). Not part of ``make test``.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common  # noqa: E402 (the repository root must be importable first)

HOSTS = {
    "reference": ("tests.settings", _common.BENCHMARKS_DIR / "login_path.json"),
    "edx-enterprise": ("tests.settings_edx_enterprise", _common.BENCHMARKS_DIR / "login_path_edx_enterprise.json"),
}
#: A first login's statements per realized enrollment, the login itself subtracted, at the largest N.
STATEMENTS_PER_ENROLLMENT_TARGET = 3
PASSWORD = "benchmark-password"
WARM_UP_LOGINS = 3
_learner_numbers = itertools.count(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "mysql", "postgresql"])
    parser.add_argument("--intentions", nargs="+", type=int, default=[1, 10, 50])
    parser.add_argument("--repetitions", type=int, default=25)
    parser.add_argument("--host", default="reference", choices=sorted(HOSTS),
                        help="the host models: the reference host's, or edx-enterprise's (run with its venv)")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--implied-consent", action="store_true",
        help="edx-enterprise host: the customer's consent is managed externally, so edx-enterprise's receiver "
             "writes a consent row for every new enterprise enrollment",
    )
    parser.add_argument(
        "--breakdown", action="store_true",
        help="after the timed logins, time the stages of the warm realization (CPU time) in a separate pass",
    )
    args = parser.parse_args()
    if args.implied_consent and args.host != "edx-enterprise":
        parser.error("--implied-consent needs --host edx-enterprise")
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")

    settings_module, default_output = HOSTS[args.host]
    args.output = args.output or default_output
    _common.prepare_environment(settings_module, args.db)
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.test.utils import override_settings  # noqa: PLC0415

    started = time.monotonic()
    server = _common.start_catalog_server()
    try:
        app_settings = {**getattr(settings, "DEFAULT_ENROLLMENTS", {}), **server.app_settings()}
        with _common.throwaway_database(migrate=args.host == "reference"), \
                override_settings(DEFAULT_ENROLLMENTS=app_settings):
            machine = _common.machine()
            machine["host"] = host_description(args.host)
            timer = RealizationTimer.install()
            try:
                rows = [
                    row for count in args.intentions
                    for row in measure(server, timer, count, args.repetitions, breakdown=args.breakdown,
                                       implied_consent=args.implied_consent)
                ]
            finally:
                timer.uninstall()
    finally:
        server.stop()

    print_results(rows)
    if args.breakdown:
        print_breakdown(rows)
    targets = check_targets(rows, machine["database"])
    _common.write_report(args.output, {
        "benchmark": "login_path",
        "host": args.host,
        "implied_consent": args.implied_consent,
        "machine": machine,
        "repetitions": args.repetitions,
        "seconds": round(time.monotonic() - started, 1),
        "rows": rows,
        "targets": targets,
    })


class RealizationTimer:
    """
    Times the realization inside each login: wraps the function ``handlers.schedule_realization`` hands to
    ``on_commit`` and records its wall time and SQL statements. The wrapped function runs unchanged.
    """

    def __init__(self, handlers, original) -> None:
        self.handlers = handlers
        self.original = original
        self.samples: list[tuple[float, float, int]] = []

    @classmethod
    def install(cls) -> RealizationTimer:
        from default_enrollments import handlers  # noqa: PLC0415

        original = getattr(handlers, "_realize_now", None)
        if original is None:
            raise SystemExit("default_enrollments.handlers._realize_now is gone: update benchmarks/login_path.py")
        timer = cls(handlers, original)

        @functools.wraps(original)
        def timed_realization(*args, **kwargs):
            with _common.counting_queries() as queries:
                cpu_started = time.thread_time()
                milliseconds, result = _common.timed(lambda: original(*args, **kwargs))
                cpu_milliseconds = (time.thread_time() - cpu_started) * 1000.0
            timer.samples.append((milliseconds, cpu_milliseconds, queries.count))
            return result

        handlers._realize_now = timed_realization
        return timer

    def uninstall(self) -> None:
        self.handlers._realize_now = self.original

    def take(self) -> tuple[float, float, int] | None:
        """The one realization since the last call (None when the login realized nothing)."""
        samples, self.samples = self.samples, []
        if len(samples) > 1:
            raise SystemExit(f"one login realized {len(samples)} times")
        return samples[0] if samples else None


# --- one N ------------------------------------------------------------------------------------------------


def measure(
    server, timer: RealizationTimer, intention_count: int, repetitions: int, *, breakdown: bool = False,
    implied_consent: bool = False,
) -> list[dict]:
    """The four kinds of login for one customer with ``intention_count`` intentions; one row each."""
    from django.conf import settings  # noqa: PLC0415
    from django.core.cache import caches  # noqa: PLC0415

    from default_enrollments.conf import app_settings  # noqa: PLC0415

    customer, course_keys = seed_customer(server, intention_count, implied_consent=implied_consent)
    # The host's own keys (the edx-enterprise host names the reference backend) with the loopback catalog's.
    app_on = {**settings.DEFAULT_ENROLLMENTS, **server.app_settings()}
    app_on.pop("REALIZE_ON_LOGIN", None)
    app_off = {**app_on, "REALIZE_ON_LOGIN": False}

    def login(user, *, realize: bool, cold: bool) -> dict:
        if cold:
            for cache in caches.all():
                cache.clear()
        # Switched by assignment, not override_settings: its setting_changed signal would also make
        # edx-django-utils reload its monitoring backends on every login, which a running LMS never does.
        settings.DEFAULT_ENROLLMENTS = app_on if realize else app_off
        app_settings.reload()
        if app_settings.REALIZE_ON_LOGIN is not realize:
            raise SystemExit("REALIZE_ON_LOGIN did not switch")
        clear_request_cache()
        return timed_login(server, timer, user)

    # A learner enrolled by an earlier login, for the warm rows; a few untimed logins load every code path.
    enrolled = new_learner(customer)
    for _ in range(WARM_UP_LOGINS):
        login(new_learner(customer), realize=True, cold=True)
        login(enrolled, realize=True, cold=False)
    check_enrolled(enrolled, course_keys)

    samples: dict[str, list[dict]] = {"cold_off": [], "cold_on": [], "warm_off": [], "warm_on": []}
    for _ in range(repetitions):
        samples["cold_off"].append(login(new_learner(customer), realize=False, cold=True))
        first_timer = new_learner(customer)
        samples["cold_on"].append(login(first_timer, realize=True, cold=True))
        check_enrolled(first_timer, course_keys)
        # The cold login just filled the cache: the enrolled learner's logins find it warm.
        samples["warm_off"].append(login(enrolled, realize=False, cold=False))
        samples["warm_on"].append(login(enrolled, realize=True, cold=False))

    rows = [
        summarize(intention_count, cache, samples[f"{cache}_off"], samples[f"{cache}_on"])
        for cache in ("cold", "warm")
    ]
    if breakdown:
        with StageTimer.installed() as stages:
            for _ in range(repetitions):
                stages.start()
                login(enrolled, realize=True, cold=False)
                stages.stop()
        rows[-1]["breakdown_cpu_ms"] = stages.medians()
    return rows


class StageTimer:
    """
    CPU time (``time.thread_time``) of the stages of a realization, by wrapping the functions that do them.
    Used only in the ``--breakdown`` pass, after the timed logins, so the wrappers never weigh on those.
    """

    # (module, attribute, label); a class attribute is written "Class.method".
    STAGES = [
        ("default_enrollments.api", "_live_intentions_by_customer", "load live intentions (1 query)"),
        ("default_enrollments.realization", "resolve_intentions", "resolve runs (cached documents)"),
        ("default_enrollments.catalog.cache", "CachedCatalogClient.get_course_documents",
         "  of which: documents from the cache"),
        (None, "ENROLLMENT_BACKEND.get_enrollments", "backend.get_enrollments (1 query)"),
        ("default_enrollments.realization", "_left_run_keys", "left enterprise enrollments (1 query)"),
        ("default_enrollments.monitoring", "record_outcomes", "outcome log lines and counters"),
    ]
    TOTAL = "realization in total (handlers._realize_now)"
    REST = "rest: links query, decisions, outcomes"

    def __init__(self) -> None:
        self.current: dict[str, float] = {}
        self.samples: list[dict[str, float]] = []
        self._undo: list = []

    @classmethod
    @contextlib.contextmanager
    def installed(cls):
        stages = cls()
        try:
            for module_name, attribute, label in cls.STAGES:
                stages._wrap(module_name, attribute, label)
            stages._wrap("default_enrollments.handlers", "_realize_now", cls.TOTAL)
            yield stages
        finally:
            for undo in reversed(stages._undo):
                undo()

    def _wrap(self, module_name: str | None, attribute: str, label: str) -> None:
        from default_enrollments.conf import app_settings  # noqa: PLC0415

        owner_name, _, name = attribute.rpartition(".")
        if module_name is None:
            owner = getattr(app_settings, owner_name)
        else:
            owner = importlib.import_module(module_name)
            if owner_name:
                owner = getattr(owner, owner_name)
        original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if original is None:
            print(f"(breakdown: {module_name or owner_name}.{attribute} not found, stage skipped)")
            return
        stages = self

        @functools.wraps(original)
        def timed_stage(*args, **kwargs):
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                stages.current[label] = stages.current.get(label, 0.0) + (time.thread_time() - started) * 1000.0

        setattr(owner, name, timed_stage)
        self._undo.append(lambda: setattr(owner, name, original))

    def start(self) -> None:
        self.current = {}

    def stop(self) -> None:
        self.samples.append(self.current)

    def medians(self) -> dict[str, float]:
        labels = [label for _, _, label in self.STAGES] + [self.TOTAL]
        medians = {
            label: _common.median([sample.get(label, 0.0) for sample in self.samples])
            for label in labels
            if any(label in sample for sample in self.samples)
        }
        top_level = [label for label in medians if label != self.TOTAL and not label.startswith("  ")]
        if self.TOTAL in medians:
            medians[self.REST] = round(medians[self.TOTAL] - sum(medians[label] for label in top_level), 3)
        return medians


def host_description(host: str) -> str:
    if host == "edx-enterprise":
        import enterprise  # noqa: PLC0415 (only in the edx-enterprise host's venv)

        return f"edx-enterprise {enterprise.__version__} models (tables from the models)"
    return "reference host models"


def clear_request_cache() -> None:
    """What edx-django-utils' ``RequestCacheMiddleware`` does at the start of every LMS request."""
    try:
        from edx_django_utils.cache import RequestCache  # noqa: PLC0415
    except ImportError:  # not an Open edX host: nothing is kept per request
        return
    RequestCache.clear_all_namespaces()


def timed_login(server, timer: RealizationTimer, user) -> dict:
    from django.test import Client  # noqa: PLC0415

    client = Client()
    server.reset_counts()
    timer.take()
    with _common.counting_queries() as queries:
        cpu_started = time.thread_time()
        milliseconds, logged_in = _common.timed(lambda: client.login(username=user.username, password=PASSWORD))
        cpu_milliseconds = (time.thread_time() - cpu_started) * 1000.0
    if not logged_in:
        raise SystemExit(f"the login of {user.username} failed")
    realization = timer.take()
    return {
        "login_ms": milliseconds,
        "login_cpu_ms": cpu_milliseconds,
        "login_queries": queries.count,
        "realize_ms": realization[0] if realization else None,
        "realize_cpu_ms": realization[1] if realization else None,
        "realize_queries": realization[2] if realization else 0,
        "catalog_requests": server.catalog_requests,
        "token_requests": server.token_requests,
    }


def summarize(intention_count: int, cache: str, off: list[dict], on: list[dict]) -> dict:
    login_off = _common.spread([sample["login_ms"] for sample in off])
    login_on = _common.spread([sample["login_ms"] for sample in on])
    login_cpu_off = _common.median([sample["login_cpu_ms"] for sample in off])
    login_cpu_on = _common.median([sample["login_cpu_ms"] for sample in on])
    realize = _common.spread([sample["realize_ms"] for sample in on if sample["realize_ms"] is not None])
    realize_cpu = _common.spread([sample["realize_cpu_ms"] for sample in on if sample["realize_cpu_ms"] is not None])
    queries_off = _common.constant([sample["login_queries"] for sample in off])
    queries_on = _common.constant([sample["login_queries"] for sample in on])
    per_enrollment = (
        round((queries_on - queries_off) / intention_count, 2)
        if cache == "cold" and isinstance(queries_on, int) and isinstance(queries_off, int) else None
    )
    return {
        "intentions": intention_count,
        "login": "first (cold cache)" if cache == "cold" else "repeat (warm cache)",
        "cache": cache,
        "queries_login_off": queries_off,
        "queries_login_on": queries_on,
        "statements_per_enrollment": per_enrollment,
        "queries_realization": _common.constant([sample["realize_queries"] for sample in on]),
        "catalog_requests": _common.constant([sample["catalog_requests"] for sample in on]),
        "catalog_requests_app_off": _common.constant([sample["catalog_requests"] for sample in off]),
        "token_requests": _common.constant([sample["token_requests"] for sample in on]),
        "login_off_ms": login_off["median"],
        "login_on_ms": login_on["median"],
        "login_on_off_ratio": round(login_on["median"] / login_off["median"], 2),
        "login_overhead_ms": round(login_on["median"] - login_off["median"], 3),
        "login_cpu_off_ms": login_cpu_off,
        "login_cpu_on_ms": login_cpu_on,
        "login_cpu_overhead_ms": round(login_cpu_on - login_cpu_off, 3),
        "realization_ms": realize["median"],
        "realization_cpu_ms": realize_cpu["median"],
        "spread_ms": {"login_off": login_off, "login_on": login_on, "realization": realize,
                      "realization_cpu": realize_cpu},
    }


# --- the world --------------------------------------------------------------------------------------------


def seed_customer(server, intention_count: int, *, implied_consent: bool = False):
    """A customer of its own, ``intention_count`` courses in its catalog, one intention per course."""
    from default_enrollments.models import (  # noqa: PLC0415
        DefaultEnterpriseEnrollmentIntention,
        get_enterprise_customer_model,
    )

    # edx-enterprise: consent collected outside edX, which its enrollment receiver records as implied.
    consent = {"enable_data_sharing_consent": True, "enforce_data_sharing_consent": "externally_managed"}
    customer = get_enterprise_customer_model()._default_manager.create(
        name=f"Login benchmark {intention_count}", slug=f"login-benchmark-{intention_count}", active=True,
        **(consent if implied_consent else {}),
    )
    course_keys = [f"LoginBench{intention_count}+Course{number:03d}" for number in range(1, intention_count + 1)]
    for course_key in course_keys:
        server.add_course(course_key)
    server.add_catalog(customer.uuid, course_keys)
    for course_key in course_keys:
        DefaultEnterpriseEnrollmentIntention.objects.create(enterprise_customer=customer, content_key=course_key)
    return customer, course_keys


def new_learner(customer):
    """
    A user linked to ``customer``. The link is inserted without ``post_save``, as a host's bulk import would,
    so the link trigger does not realize before the measured login does.
    """
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from default_enrollments.models import get_enterprise_customer_user_model  # noqa: PLC0415

    number = next(_learner_numbers)
    user = get_user_model()._default_manager.create_user(
        username=f"bench-learner-{number}", email=f"bench-learner-{number}@example.com", password=PASSWORD
    )
    link_model = get_enterprise_customer_user_model()
    link_model._default_manager.bulk_create(
        [link_model(enterprise_customer=customer, user_id=user.pk, active=True, linked=True)]
    )
    return user


def check_enrolled(user, course_keys: list[str]) -> None:
    """The realization really happened: one realization per intention (else the timings mean nothing)."""
    from default_enrollments.models import DefaultEnterpriseEnrollmentRealization  # noqa: PLC0415

    realized = DefaultEnterpriseEnrollmentRealization.objects.filter(
        realized_enrollment__enterprise_customer_user__user_id=user.pk
    ).count()
    if realized != len(course_keys):
        raise SystemExit(f"{user.username} has {realized} realizations after logging in, expected {len(course_keys)}")


# --- output -----------------------------------------------------------------------------------------------

COLUMNS = [
    ("N", "intentions"),
    ("login", "login"),
    ("queries off", "queries_login_off"),
    ("queries on", "queries_login_on"),
    ("of which realization", "queries_realization"),
    ("per enrollment", "statements_per_enrollment"),
    ("catalog req", "catalog_requests"),
    ("token req", "token_requests"),
    ("login off ms", "login_off_ms"),
    ("login on ms", "login_on_ms"),
    ("on/off", "login_on_off_ratio"),
    ("overhead ms", "login_overhead_ms"),
    ("cpu overhead ms", "login_cpu_overhead_ms"),
    ("realization ms", "realization_ms"),
    ("realization cpu ms", "realization_cpu_ms"),
]


def print_results(rows: list[dict]) -> None:
    _common.print_table("Login path (medians; catalog requests exclude OAuth2 token requests)", COLUMNS, rows)
    print("per enrollment = (queries on - queries off) / N on a first login; "
          "overhead ms = median login with the app on - median login with it off (wall time; cpu: CPU time of the "
          "login's thread, which other processes on the machine cannot inflate and which leaves out the wait for the "
          "catalog); realization ms = median time of the realization run by the login, wall and cpu")


def print_breakdown(rows: list[dict]) -> None:
    warm = [row for row in rows if "breakdown_cpu_ms" in row]
    if not warm:
        return
    labels = list(dict.fromkeys(label for row in warm for label in row["breakdown_cpu_ms"]))
    table = [{"stage": label, **{f"n{row['intentions']}": row["breakdown_cpu_ms"].get(label) for row in warm}}
             for label in labels]
    columns = [("stage (warm login, CPU ms, median)", "stage")] + [
        (f"N={row['intentions']}", f"n{row['intentions']}") for row in warm
    ]
    _common.print_table("Where a warm realization spends its time", columns, table)


def check_targets(rows: list[dict], database: str) -> list[dict]:
    warm = [row for row in rows if row["cache"] == "warm"]
    cold = [row for row in rows if row["cache"] == "cold"]
    warm_queries = {row["intentions"]: row["queries_realization"] for row in warm}
    on_sqlite = database.startswith("sqlite")
    worst_warm_ms = max(row["realization_ms"] for row in warm)
    worst_overhead_ms = max(row["login_overhead_ms"] for row in warm)
    largest = max(cold, key=lambda row: row["intentions"])
    return _common.check_targets([
        (
            "warm login with nothing to do: the same query count for every N",
            len(set(map(str, warm_queries.values()))) == 1 and all(isinstance(q, int) for q in warm_queries.values()),
            f"realization queries by N: {warm_queries}",
        ),
        (
            "warm login: zero catalog requests",
            all(row["catalog_requests"] == 0 for row in warm),
            f"by N: { {row['intentions']: row['catalog_requests'] for row in warm} }",
        ),
        (
            "warm login: realization under 2 ms median" + ("" if on_sqlite else " (a target for SQLite only)"),
            (worst_warm_ms < 2.0 and worst_overhead_ms < 2.0) if on_sqlite else None,
            f"worst realization {worst_warm_ms:.3f} ms, worst on-off difference {worst_overhead_ms:.3f} ms "
            f"on {database}",
        ),
        (
            f"first login at N = {largest['intentions']}: at most {STATEMENTS_PER_ENROLLMENT_TARGET} statements per "
            "realized enrollment, the login itself subtracted",
            isinstance(largest["statements_per_enrollment"], float | int)
            and largest["statements_per_enrollment"] <= STATEMENTS_PER_ENROLLMENT_TARGET,
            f"by N: { {row['intentions']: row['statements_per_enrollment'] for row in cold} } "
            f"(queries on - queries off) / N",
        ),
        (
            "first login: at most 3 catalog requests for any N (token excluded)",
            all(isinstance(row["catalog_requests"], int) and row["catalog_requests"] <= 3 for row in cold),
            f"by N: { {row['intentions']: row['catalog_requests'] for row in cold} }",
        ),
    ])


if __name__ == "__main__":
    main()
