"""
How fast does ``manage.py realize_default_enrollments`` realize, and does its memory stay flat?

For each database and learner count, on a fresh test database (Django's test utilities create and
destroy it), with every learner linked to one customer that has three intentions:

1. the floor: the same rows a realization writes (LMS enrollment, enterprise enrollment, realization) and
   their history rows, written with simple-history's ``bulk_create_with_history`` (plain ``bulk_create``
   for a model without history) in the same chunks, one transaction per chunk: what no decision path
   can beat;
2. the backfill command itself (decide per learner, lock the chunk, write the chunk in bulk);
3. the backfill again, which must write nothing: timed, then once more under ``tracemalloc``.

Peak memory is measured twice over, in separate passes so neither skews the timings: the kernel's
high-water mark of the process (``VmHWM``, reset before the step through ``/proc/self/clear_refs``;
Linux only) during the timed backfill, and ``tracemalloc``'s peak of Python allocations during the
traced re-run over the same learners (``tracemalloc`` slows Python about four times, so it is never on
while a rate is measured), with what that re-run still holds at its end (see ``traced`` for why the interpreter's
own caches are emptied first). The catalog is the static client reading a generated fixture, so the numbers
are the app's and the database's, not the network's. SQLite runs on a file, so its pages are not counted
as the process's memory. Each database runs in its own process::

    python benchmarks/backfill.py                       # sqlite, mysql and postgresql, 2,000 and 20,000 learners
    python benchmarks/backfill.py --db mysql --learners 500 5000

Prints a table, checks the targets (the backfill at least half the floor's rate, a re-run with nothing to do
at 5,000 learners per second or more, the same traced peak at every learner count) and writes
``benchmarks/backfill.json``. Not part of ``make test``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from io import StringIO
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "backfill.json"
INTENTIONS = 3
BATCH_SIZE = 500
USER_CHUNK = 2_000
COURSES = [f"Bench+Course{number}" for number in range(1, INTENTIONS + 1)]
FLOOR_SHARE_TARGET = 0.5
RERUN_TARGET = 5_000
MEMORY_GROWTH_TARGET = 1.1


def run_key(course_key: str, run: str = "1T2030") -> str:
    return f"course-v1:{course_key}+{run}"


# --- parent: one child process per database, then the table --------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "mysql", "postgresql"],
                        choices=["sqlite", "mysql", "postgresql"])
    parser.add_argument("--learners", nargs="+", type=int, default=[2_000, 20_000])
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one_database(args.learners, args.batch_size)))
        return

    started = time.monotonic()
    results: list[dict] = []
    report = {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start",
        "intentions_per_learner": INTENTIONS,
        "batch_size": args.batch_size,
        "results": results,
    }
    for db in args.db:
        env = {
            **os.environ,
            "DB_ENGINE": db,
            "TEST_DB_SUFFIX": "_benchmark",
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        command = [sys.executable, __file__, "--child", "--batch-size", str(args.batch_size),
                   "--learners", *map(str, args.learners)]
        print(f"== {db}: {', '.join(f'{n:,}' for n in args.learners)} learners x {INTENTIONS} intentions", flush=True)
        completed = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"the {db} benchmark failed (exit {completed.returncode})")
        results.extend(json.loads(completed.stdout.strip().splitlines()[-1]))
        report["seconds"] = round(time.monotonic() - started, 1)
        report["peak_memory_growth"] = memory_growth(results)
        args.output.write_text(json.dumps(report, indent=2) + "\n")  # after each database: a long run keeps its part

    print_table(results)
    report["targets"] = check_targets(results, report["peak_memory_growth"])
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    for db, ratios in report["peak_memory_growth"].items():
        described = ", ".join(f"{measure} x{ratio:.2f}" for measure, ratio in ratios.items())
        print(f"{db}: peak memory of the largest run relative to the smallest: {described}")
    shown = args.output.relative_to(REPO_ROOT) if args.output.is_relative_to(REPO_ROOT) else args.output
    print(f"wrote {shown} after {report['seconds']} s")


def print_table(results: list[dict]) -> None:
    header = (
        f"{'db':<10} {'learners':>8} {'rows':>7} | {'backfill/s':>10} {'RSS MiB':>7} | {'floor/s':>8} {'RSS MiB':>7} | "
        f"{'of floor':>8} | {'rerun learners/s':>16} {'rerun writes':>12} {'tracemalloc MiB':>15} {'retained MiB':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        print(
            f"{row['db']:<10} {row['learners']:>8,} {row['realizations']:>7,} | "
            f"{row['backfill_per_second']:>10,.0f} {fmt(row['backfill_peak_rss_mib']):>7} | "
            f"{row['floor_per_second']:>8,.0f} {fmt(row['floor_peak_rss_mib']):>7} | "
            f"{row['backfill_to_floor']:>8.2f} | {row['rerun_learners_per_second']:>16,.0f} {row['rerun_writes']:>12} "
            f"{fmt(row['rerun_tracemalloc_peak_mib']):>15} {fmt(row.get('rerun_tracemalloc_retained_mib')):>12}"
        )
    print(
        "backfill/s, floor/s: realizations written per second (each with its LMS and enterprise enrollment);\n"
        "of floor: backfill/s divided by floor/s (the floor: bulk_create_with_history of the same rows).\n"
        "RSS MiB: the process's peak resident memory during the step (kernel high-water mark, reset before it).\n"
        "tracemalloc MiB: peak Python allocations of the re-run over every learner; retained MiB: still allocated\n"
        "after it (both above the start, with the interpreter's own caches emptied when tracing starts)."
    )


def check_targets(results: list[dict], growth: dict) -> list[dict]:
    targets = []
    for row in results:
        if row["db"] == "sqlite":
            continue  # the targets are for the databases a production LMS runs on
        name = f"{row['db']} {row['learners']:,} learners"
        targets.append((f"{name}: backfill at least {FLOOR_SHARE_TARGET}x the floor's rate",
                        row["backfill_to_floor"] >= FLOOR_SHARE_TARGET, f"{row['backfill_to_floor']:.2f}x"))
        targets.append((f"{name}: a re-run with nothing to do at {RERUN_TARGET:,} learners/s or more",
                        row["rerun_learners_per_second"] >= RERUN_TARGET,
                        f"{row['rerun_learners_per_second']:,.0f} learners/s"))
    for db, ratios in growth.items():
        traced = ratios.get("rerun_tracemalloc_peak_mib")
        if traced is not None:
            targets.append((f"{db}: the same traced peak at every learner count (largest / smallest at most "
                            f"{MEMORY_GROWTH_TARGET})", traced <= MEMORY_GROWTH_TARGET, f"x{traced:.2f}"))
    print()
    checked = []
    for name, met, measured in targets:
        print(f"[{'met' if met else 'MISSED'}] {name}: {measured}")
        checked.append({"target": name, "met": bool(met), "measured": measured})
    return checked


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def memory_growth(results: list[dict]) -> dict[str, dict[str, float]]:
    """Per database: largest run's peak / smallest run's peak, for both measures (1.0 = flat)."""
    growth = {}
    for db in dict.fromkeys(row["db"] for row in results):
        rows = sorted((row for row in results if row["db"] == db), key=lambda row: row["learners"])
        if len(rows) < 2:
            continue
        growth[db] = {
            measure: round(rows[-1][measure] / rows[0][measure], 2)
            for measure in ("backfill_peak_rss_mib", "rerun_tracemalloc_peak_mib")
            if rows[0][measure] and rows[-1][measure]
        }
    return growth


# --- child: one database ------------------------------------------------------------------------------


def measure_one_database(learner_counts: list[int], batch_size: int) -> list[dict]:
    sys.path.insert(0, str(REPO_ROOT))
    with tempfile.TemporaryDirectory() as workdir:
        fixture = Path(workdir) / "catalog.json"
        write_catalog_fixture(fixture)

        import django  # noqa: PLC0415 (settings come from the environment the parent set)

        django.setup()
        from django.conf import settings  # noqa: PLC0415
        from django.db import connection  # noqa: PLC0415
        from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: PLC0415

        settings.DEFAULT_ENROLLMENTS = {
            "CATALOG_CLIENT": "default_enrollments.catalog.static.StaticCatalogClient",
            "CATALOG_FIXTURE": str(fixture),
        }
        setup_test_environment()
        if connection.vendor == "sqlite":
            # On a file (in memory, the database would count as the process's memory), in WAL mode with
            # fsync at checkpoints rather than at every commit, as SQLite is configured for concurrent use.
            connection.settings_dict["TEST"]["NAME"] = str(Path(workdir) / "benchmark.sqlite3")
            connection.settings_dict["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            return [measure(connection.vendor, learners, batch_size) for learners in learner_counts]
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
            teardown_test_environment()


def write_catalog_fixture(path: Path) -> None:
    from tests.catalog_server import course_document  # noqa: PLC0415 (same document shape as the catalog's)

    path.write_text(json.dumps({
        "courses": [course_document(course_key, runs=[run_key(course_key)]) for course_key in COURSES],
        "catalogs": {"*": {"00000000-0000-0000-0000-00000000beef": COURSES}},
    }))


def measure(vendor: str, learners: int, batch_size: int) -> dict:
    from django.core.cache import cache  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    from default_enrollments.conf import app_settings  # noqa: PLC0415

    call_command("flush", interactive=False, verbosity=0)
    cache.clear()
    app_settings.reload()
    _, customer_users, intentions = seed(learners)
    expected = learners * INTENTIONS

    floor_seconds, floor_rss = timed(lambda: floor_bulk_create(customer_users, intentions, batch_size))
    before = row_counts()

    out = StringIO()
    backfill_seconds, backfill_rss = timed(
        lambda: call_command("realize_default_enrollments", batch_size=batch_size, stdout=out)
    )
    after = row_counts()
    realized = after["realizations"] - before["realizations"]
    if realized != expected:
        raise SystemExit(f"{vendor}: the backfill realized {realized} of {expected} intentions:\n{out.getvalue()}")

    # Nothing left to write: the same walk over every learner, timed, then traced for its memory.
    rerun_seconds, _ = timed(lambda: call_command("realize_default_enrollments", batch_size=batch_size,
                                                  stdout=StringIO()))
    rerun_traced_seconds, rerun_traced_peak, rerun_traced_retained = traced(
        lambda: call_command("realize_default_enrollments", batch_size=batch_size, stdout=StringIO())
    )
    rerun_writes = sum(row_counts().values()) - sum(after.values())
    print(
        f"   {vendor} {learners:,} learners: floor {floor_seconds:.1f} s, backfill {backfill_seconds:.1f} s, "
        f"re-run {rerun_seconds:.1f} s, traced re-run {rerun_traced_seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )

    backfill_rate = expected / backfill_seconds
    floor_rate = expected / floor_seconds
    return {
        "db": connection_label(vendor),
        "learners": learners,
        "realizations": expected,
        "backfill_seconds": round(backfill_seconds, 2),
        "backfill_per_second": round(backfill_rate, 1),
        "backfill_peak_rss_mib": mib(backfill_rss),
        "floor_seconds": round(floor_seconds, 2),
        "floor_per_second": round(floor_rate, 1),
        "floor_peak_rss_mib": mib(floor_rss),
        "backfill_to_floor": round(backfill_rate / floor_rate, 2),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_learners_per_second": round(learners / rerun_seconds, 1),
        "rerun_seconds_traced": round(rerun_traced_seconds, 2),
        "rerun_tracemalloc_peak_mib": mib(rerun_traced_peak),
        "rerun_tracemalloc_retained_mib": mib(rerun_traced_retained),
        "rerun_writes": rerun_writes,
    }


def connection_label(vendor: str) -> str:
    """``mysql`` says MariaDB or MySQL: they differ in what a bulk insert returns."""
    from django.db import connection  # noqa: PLC0415

    if vendor == "mysql":
        return "mariadb" if connection.mysql_is_mariadb else "mysql"
    return vendor


def mib(size: int | None) -> float | None:
    return None if size is None else round(size / 2**20, 2)


def timed(work) -> tuple[float, int | None]:
    """Wall-clock seconds of ``work()`` and the process's peak resident memory meanwhile (Linux; else None)."""
    reset_peak_rss()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return seconds, proc_status("VmHWM")


def traced(work) -> tuple[float, int, int]:
    """
    Wall-clock seconds of ``work()`` (slowed by tracing), the peak of Python allocations above the start, and what
    is still allocated at the end.

    The interpreter keeps bounded stores of its own between calls: the type attribute cache (4,096 entries, each
    holding a reference to the attribute name looked up, so the names a query builds, such as
    ``"as_" + vendor``), and the free lists of tuples, lists, dicts and floats. ``tracemalloc`` ignores the release
    of a block allocated before it started, so every entry replaced during the run counted as new memory: the
    longer the run, the more of those stores it had refilled, up to their fixed size (about 0.3 MiB), which made
    20,000 learners look heavier than 2,000. Emptying them once tracing has started (the type cache, then a full
    collection, which also empties the free lists) lets every run count them in full from its first chunk on.
    """
    tracemalloc.start()
    sys._clear_type_cache()  # noqa: SLF001 (CPython's documented way to empty the type attribute cache)
    gc.collect()
    start_memory = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak - start_memory, current - start_memory


def reset_peak_rss() -> None:
    """Lower the kernel's high-water mark of resident memory to the current resident size."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def proc_status(field: str) -> int | None:
    """A memory line of ``/proc/self/status``, in bytes (None where there is no such file)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) * 1024 if match else None


def seed(learners: int):
    """One customer, its three intentions, and ``learners`` users linked to it (bulk inserts, bounded chunks)."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from default_enrollments.models import (  # noqa: PLC0415
        DefaultEnterpriseEnrollmentIntention,
        get_enterprise_customer_model,
        get_enterprise_customer_user_model,
    )

    user_model = get_user_model()
    customer_user_model = get_enterprise_customer_user_model()
    customer = get_enterprise_customer_model()._default_manager.create(name="Benchmark", slug="benchmark")
    intentions = [
        DefaultEnterpriseEnrollmentIntention.objects.create(enterprise_customer=customer, content_key=course_key)
        for course_key in COURSES
    ]
    for start in range(0, learners, USER_CHUNK):
        names = [f"bench{number}" for number in range(start, min(start + USER_CHUNK, learners))]
        user_model._default_manager.bulk_create(
            [user_model(username=name, email=f"{name}@example.com", password="!") for name in names]
        )
        user_ids = user_model._default_manager.filter(username__in=names).values_list("pk", flat=True)
        customer_user_model._default_manager.bulk_create(
            [customer_user_model(enterprise_customer=customer, user_id=user_id) for user_id in user_ids]
        )
    customer_user_pks = list(
        customer_user_model._default_manager.filter(enterprise_customer=customer).order_by("pk").values_list(
            "pk", "user_id"
        )
    )
    return customer, customer_user_pks, intentions


def floor_bulk_create(customer_users: list[tuple[int, int]], intentions: list, batch_size: int) -> None:
    """
    The same rows per (learner, intention) as a realization, and their history rows, written with
    ``bulk_create_with_history`` (``bulk_create`` for a model without history) in the same chunks and one
    transaction per chunk, into runs of their own so they do not collide with the backfill's.
    """
    from django.db import transaction  # noqa: PLC0415
    from simple_history.utils import bulk_create_with_history  # noqa: PLC0415

    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415
    from default_enrollments.models import get_enterprise_course_enrollment_model, get_realization_model  # noqa: PLC0415

    def create(model, objs):
        if hasattr(model._meta, "simple_history_manager_attribute"):
            return bulk_create_with_history(objs, model)
        return model._default_manager.bulk_create(objs)

    enterprise_enrollment_model = get_enterprise_course_enrollment_model()
    realization_model = get_realization_model()
    keys = [(intention, run_key(intention.content_key, "Floor")) for intention in intentions]
    for start in range(0, len(customer_users), batch_size):
        chunk = customer_users[start:start + batch_size]
        with transaction.atomic():
            create(CourseEnrollment, [CourseEnrollment(user_id=user_id, course_id=key, mode="verified")
                                      for _, user_id in chunk for _, key in keys])
            create(enterprise_enrollment_model, [enterprise_enrollment_model(enterprise_customer_user_id=pk,
                                                                             course_id=key)
                                                 for pk, _ in chunk for _, key in keys])
            # Not every database returns primary keys from a bulk insert: read them back, as a host would.
            written = enterprise_enrollment_model._default_manager.filter(
                enterprise_customer_user_id__in=[pk for pk, _ in chunk], course_id__in=[key for _, key in keys]
            ).values_list("pk", "course_id")
            intention_for_key = {key: intention for intention, key in keys}
            create(realization_model, [realization_model(intended_enrollment=intention_for_key[course_id],
                                                         realized_enrollment_id=pk) for pk, course_id in written])


def row_counts() -> dict[str, int]:
    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415
    from default_enrollments.models import (  # noqa: PLC0415
        DefaultEnterpriseEnrollmentRealization,
        get_enterprise_course_enrollment_model,
    )

    return {
        "lms_enrollments": CourseEnrollment.objects.count(),
        "enterprise_enrollments": get_enterprise_course_enrollment_model()._default_manager.count(),
        "realizations": DefaultEnterpriseEnrollmentRealization.objects.count(),
        "realization_history": DefaultEnterpriseEnrollmentRealization.history.count(),
    }


if __name__ == "__main__":
    main()
