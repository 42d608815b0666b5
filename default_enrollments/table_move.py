"""
Moving intentions and realizations from the app's own tables into the swapped-in models' (edx-enterprise's).

Once the intention and realization settings name edx-enterprise's models, the app's own models are swapped out and
have no managers, so the old tables are read with plain SQL. Each customer moves in one transaction; new rows are
written with ``bulk_create`` plus their history rows (django-simple-history's ``bulk_create_with_history``), never
through edx-enterprise's ``save()``, which would ask its catalog about every key.

What a move does, per customer:

* an intention whose (customer, key) already exists there, in any letter case, is kept there and the old one's
  realizations are moved onto it; otherwise the intention is copied with its uuid, key, removal flag and times;
* a realization is copied unless its enterprise enrollment is already realized there: that one is left alone and
  reported (one realization per enrollment, whoever wrote it).

Nothing is written twice: a second run finds every intention and every realized enrollment already there.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from default_enrollments.conf import app_models_swapped
from default_enrollments.keys import stored_content_type
from default_enrollments.models import get_intention_model, get_realization_model

OLD_INTENTION_TABLE = "default_enrollments_defaultenterpriseenrollmentintention"
OLD_REALIZATION_TABLE = "default_enrollments_defaultenterpriseenrollmentrealization"
INTENTION_COLUMNS = ("uuid", "created", "modified", "is_removed", "enterprise_customer_id", "content_key",
                     "content_type")
REALIZATION_COLUMNS = ("created", "modified", "intended_enrollment_id", "realized_enrollment_id")


@dataclass
class MoveReport:
    """What a move did (or, in a dry run, would do), per customer and in total."""

    customers: int = 0
    intentions_copied: int = 0
    intentions_kept: int = 0  # the same (customer, key) was already there
    realizations_copied: int = 0
    realizations_present: int = 0  # the same realization was already there
    left_alone: list[str] = field(default_factory=list)  # enrollments realized there from another intention

    @property
    def changes(self) -> int:
        return self.intentions_copied + self.realizations_copied


def old_tables_exist() -> bool:
    """Whether this database has the app's own intention and realization tables (created by its 0001)."""
    tables = set(connection.introspection.table_names())
    return {OLD_INTENTION_TABLE, OLD_REALIZATION_TABLE} <= tables


def _select(table: str, columns: tuple[str, ...]) -> list[dict]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}")  # noqa: S608 (names)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _uuid(value) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _aware(value):
    """Plain SQL gives naive datetimes on SQLite and MariaDB; the columns hold UTC."""
    if value is None or not settings.USE_TZ or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, UTC)


def read_old_rows() -> tuple[dict, dict]:
    """Old intentions by customer, and old realizations by old intention uuid (plain SQL, in a stable order)."""
    intentions: dict = defaultdict(list)
    old_intentions = _select(OLD_INTENTION_TABLE, INTENTION_COLUMNS)
    for row in sorted(old_intentions, key=lambda r: (str(r["enterprise_customer_id"]), r["content_key"])):
        row["uuid"], row["is_removed"] = _uuid(row["uuid"]), bool(row["is_removed"])
        row["created"], row["modified"] = _aware(row["created"]), _aware(row["modified"])
        intentions[_uuid(row["enterprise_customer_id"])].append(row)
    realizations: dict = defaultdict(list)
    for row in sorted(_select(OLD_REALIZATION_TABLE, REALIZATION_COLUMNS), key=lambda r: r["realized_enrollment_id"]):
        row["created"], row["modified"] = _aware(row["created"]), _aware(row["modified"])
        realizations[_uuid(row["intended_enrollment_id"])].append(row)
    return intentions, realizations


def move_all(*, dry_run: bool) -> tuple[MoveReport, dict[UUID, MoveReport]]:
    """Move every customer's rows, one transaction each; returns the total and the per-customer reports."""
    if not app_models_swapped():
        raise ValueError("the intention model is the app's own: there is nowhere to move its rows")
    intentions, realizations = read_old_rows()
    total, by_customer = MoveReport(), {}
    for customer_id, rows in intentions.items():
        report = move_customer(customer_id, rows, realizations, dry_run=dry_run)
        by_customer[customer_id] = report
        total.customers += 1
        for name in ("intentions_copied", "intentions_kept", "realizations_copied", "realizations_present"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.left_alone.extend(report.left_alone)
    return total, by_customer


def move_customer(customer_id: UUID, old_intentions: list[dict], old_realizations: dict, *,
                  dry_run: bool) -> MoveReport:
    """One customer's intentions and realizations, in one transaction (rolled back in a dry run)."""
    report = MoveReport(customers=1)
    with transaction.atomic():
        target_for = _intentions_there(customer_id, old_intentions, report)
        _realizations_there(old_intentions, old_realizations, target_for, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _intentions_there(customer_id: UUID, old_intentions: list[dict], report: MoveReport) -> dict[UUID, UUID]:
    """Old intention uuid -> the uuid of its intention in the new table (kept, or copied now)."""
    model = get_intention_model()
    existing: dict[str, UUID] = {}
    for uuid, key in (model.all_objects.filter(enterprise_customer_id=customer_id)
                      .annotate(lowered=Lower("content_key")).order_by("content_key")
                      .values_list("uuid", "lowered")):
        existing.setdefault(key, uuid)
    target_for, new_rows = {}, []
    for row in old_intentions:
        lowered = row["content_key"].lower()
        if lowered in existing:
            target_for[row["uuid"]] = existing[lowered]
            report.intentions_kept += 1
            continue
        new = model(uuid=row["uuid"], enterprise_customer_id=customer_id, content_key=row["content_key"],
                    is_removed=row["is_removed"], created=row["created"], modified=row["modified"])
        new.content_type = stored_content_type(new)
        new_rows.append(new)
        existing[lowered] = target_for[row["uuid"]] = row["uuid"]
    if new_rows:
        bulk_create_with_history(new_rows, model, default_change_reason="moved from default_enrollments")
        report.intentions_copied += len(new_rows)
    return target_for


def _realizations_there(old_intentions: list[dict], old_realizations: dict, target_for: dict[UUID, UUID],
                        report: MoveReport) -> None:
    model = get_realization_model()
    rows = [row for intention in old_intentions for row in old_realizations.get(intention["uuid"], ())]
    present = dict(model._default_manager.filter(
        realized_enrollment_id__in=[row["realized_enrollment_id"] for row in rows]
    ).values_list("realized_enrollment_id", "intended_enrollment_id"))
    new_rows = []
    for row in rows:
        target = target_for[_uuid(row["intended_enrollment_id"])]
        enrollment = row["realized_enrollment_id"]
        if enrollment in present:
            if present[enrollment] == target:
                report.realizations_present += 1
            else:
                report.left_alone.append(f"enterprise enrollment {enrollment} (realized there from intention "
                                         f"{present[enrollment]}, not {target})")
            continue
        new_rows.append(model(intended_enrollment_id=target, realized_enrollment_id=enrollment,
                              created=row["created"], modified=row["modified"]))
        present[enrollment] = target
    if new_rows:
        bulk_create_with_history(new_rows, model, default_change_reason="moved from default_enrollments")
        report.realizations_copied += len(new_rows)


__all__ = ["MoveReport", "move_all", "move_customer", "old_tables_exist", "read_old_rows"]
