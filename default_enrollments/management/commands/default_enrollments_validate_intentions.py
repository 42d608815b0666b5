"""
``manage.py default_enrollments_validate_intentions``: which intentions cannot enroll anyone, and why.

Exits non-zero when any intention fails, so it can run in a deploy check or a cron alert. Also reachable as
``validate_default_enrollment_intentions``, a name edx-enterprise's own command takes on an LMS (ADR 0003).
"""
from __future__ import annotations

import json
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from default_enrollments.models import get_enterprise_customer_model
from default_enrollments.validation import IntentionCheck, validate_intentions

TABLE_COLUMNS = [
    ("status", "STATUS"),
    ("customer", "CUSTOMER"),
    ("content_key", "CONTENT KEY"),
    ("course_run_key", "RUN"),
    ("reason", "REASON"),
    ("message", "MESSAGE"),
]


def parse_customer_uuid(value: str | None) -> UUID | None:
    """The ``--enterprise-customer`` argument as a UUID of an existing customer, or a clear CommandError."""
    if value is None:
        return None
    try:
        customer_uuid = UUID(value.strip())
    except (AttributeError, ValueError):
        raise CommandError(f"--enterprise-customer {value!r} is not a UUID.") from None
    if not get_enterprise_customer_model()._default_manager.filter(pk=customer_uuid).exists():
        raise CommandError(f"--enterprise-customer {customer_uuid}: no enterprise customer has this UUID.")
    return customer_uuid


class Command(BaseCommand):
    help = (
        "Check every live default enrollment intention against the enterprise catalog: unknown content, no "
        "advertised run, closed runs, runs in none of the customer's catalogs, catalog unreachable. "
        "Exits non-zero when any intention fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprise-customer", metavar="UUID", help="Only this customer's intentions.")
        parser.add_argument(
            "--format", choices=["table", "json"], default="table", help="Output format (default: table)."
        )

    def handle(self, *args, **options):
        customer_uuid = parse_customer_uuid(options["enterprise_customer"])
        checks = validate_intentions(customer_uuid)
        if options["format"] == "json":
            self.stdout.write(json.dumps([check.as_dict() for check in checks], indent=2))
        else:
            self._write_table(checks)

        failing = [check for check in checks if not check.ok]
        if failing:
            keys = ", ".join(f"{check.content_key} ({check.reason})" for check in failing)
            raise CommandError(f"{len(failing)} of {len(checks)} default enrollment intentions fail: {keys}")

    def _write_table(self, checks: list[IntentionCheck]) -> None:
        if not checks:
            self.stdout.write("No live default enrollment intentions.")
            return
        rows = [
            {
                "status": "ok" if check.ok else "FAIL",
                "customer": check.customer,
                "content_key": check.content_key,
                "course_run_key": check.course_run_key or "-",
                "reason": check.reason or "-",
                "message": check.message,
            }
            for check in checks
        ]
        widths = {
            name: max(len(title), *(len(row[name]) for row in rows)) for name, title in TABLE_COLUMNS[:-1]
        }

        def line(values: dict) -> str:
            cells = [values[name].ljust(widths[name]) for name, _ in TABLE_COLUMNS[:-1]]
            return "  ".join([*cells, values["message"]]).rstrip()

        self.stdout.write(line(dict(TABLE_COLUMNS)))
        for row in rows:
            self.stdout.write(line(row))
        passed = sum(check.ok for check in checks)
        self.stdout.write(f"\n{passed} of {len(checks)} intentions OK.")
