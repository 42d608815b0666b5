"""
What the benchmark scripts share: Django setup on a throwaway test database, the loopback catalog,
query counting, medians, the table printer and the JSON report.

The scripts are run directly (``python benchmarks/<name>.py``), never collected by pytest.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_DIR = Path(__file__).resolve().parent
TEST_DB_SUFFIX = "_bench"


def prepare_environment(settings_module: str, db_engine: str = "sqlite") -> None:
    """Point Django at ``settings_module`` and a test database name of our own, before ``django.setup()``."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["DB_ENGINE"] = db_engine
    os.environ["TEST_DB_SUFFIX"] = TEST_DB_SUFFIX


def start_catalog_server():
    """
    A loopback enterprise-catalog on 127.0.0.1 (``tests/catalog_server.py``), already listening.

    Its handler writes a response's headers and body in two sends; with Nagle's algorithm on, the body then
    waits for the client's delayed ACK (about 40 ms on Linux) on every request that reuses a kept-alive
    connection, a cost no production catalog has. ``TCP_NODELAY`` (the standard library's
    ``disable_nagle_algorithm``) removes it, for a client that reuses connections and one that does not alike.
    """
    from tests import catalog_server  # noqa: PLC0415 (sys.path is set by prepare_environment)

    catalog_server._Handler.disable_nagle_algorithm = True
    return catalog_server.CatalogServer().start()


@contextlib.contextmanager
def throwaway_database(*, migrate: bool = True) -> Iterator[str]:
    """
    Create the test database, yield its vendor, destroy it afterwards.

    ``migrate=False`` builds the schema from the models (Django's ``TEST["MIGRATE"] = False``), which is
    what a host with hundreds of migrations (edx-enterprise) needs to start in seconds.
    """
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: PLC0415

    if not migrate:
        connection.settings_dict.setdefault("TEST", {})["MIGRATE"] = False
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection.vendor
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()


class QueryCounter:
    """Counts the SQL statements the default connection runs (a cheap ``execute_wrapper``, no query log)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def installed(self) -> Iterator[QueryCounter]:
        from django.db import connection  # noqa: PLC0415

        with connection.execute_wrapper(self):
            yield self


@contextlib.contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    with counter.installed():
        yield counter


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds of wall time of ``work()`` and its result."""
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000.0, result


def median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median and quartiles, so a reader can see how noisy a median was."""
    if len(values) < 2:
        return {"median": median(values), "p25": median(values), "p75": median(values), "n": len(values)}
    q1, _, q3 = statistics.quantiles(values, n=4)
    return {"median": median(values), "p25": round(q1, 3), "p75": round(q3, 3), "n": len(values)}


def constant(values: Sequence[int]) -> int | str:
    """The value when every repetition agreed, else ``min-max`` (a count that varied deserves a look)."""
    low, high = min(values), max(values)
    return low if low == high else f"{low}-{high}"


def machine() -> dict[str, Any]:
    """Where the numbers come from: CPU count, Python, Django and the database engine with its version."""
    import django  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3  # noqa: PLC0415

        db_version = sqlite3.sqlite_version
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            db_version = cursor.fetchone()[0]
    try:
        load = [round(value, 2) for value in os.getloadavg()]
    except OSError:  # pragma: no cover (not on every platform)
        load = None
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": f"{vendor} {db_version}",
        "load_average_at_start": load,
    }


def cpu_model() -> str:
    """The processor's name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def print_table(title: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict]) -> None:
    """
    Print ``rows`` under ``title``; ``columns`` are (header, row key) pairs. Numbers are right-aligned,
    floats with two decimals.
    """

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return "" if value is None else str(value)

    cells = [[cell(row.get(key)) for _, key in columns] for row in rows]
    widths = [max([len(header), *(len(line[index]) for line in cells)]) for index, (header, _) in enumerate(columns)]
    header = " | ".join(f"{header:>{width}}" for (header, _), width in zip(columns, widths, strict=True))
    print(f"\n{title}")
    print(header)
    print("-" * len(header))
    for line in cells:
        print(" | ".join(f"{value:>{width}}" for value, width in zip(line, widths, strict=True)))


def check_targets(targets: Sequence[tuple[str, bool | None, str]]) -> list[dict]:
    """
    Print each target as met, missed or not applicable (``None``: the measurement cannot tell) with what was
    measured; return them for the JSON report.
    """
    print()
    results = []
    for name, met, measured in targets:
        label = "n/a" if met is None else ("met" if met else "MISSED")
        print(f"[{label}] {name}: {measured}")
        results.append({"target": name, "met": met if met is None else bool(met), "measured": measured})
    return results


def write_report(path: Path, report: dict) -> None:
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    print(f"\nwrote {shown}")
