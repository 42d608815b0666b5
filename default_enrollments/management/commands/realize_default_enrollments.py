"""
``manage.py realize_default_enrollments``: enroll learners who were linked before an intention existed.

Walks active, linked customer users in primary-key chunks and realizes each through the login path, so a
backfill decides and writes exactly as a login would: idempotent (a second run writes nothing), a learner
who unenrolled stays unenrolled, and an interrupted run resumes with ``--start-after``.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Model
from tqdm import tqdm

from default_enrollments.backfill import (
    DEFAULT_BATCH_SIZE,
    BackfillReport,
    IntentionsByCustomer,
    backfill_customer_users,
    iter_customer_user_chunks,
    iter_customer_user_link_chunks,
    realize_customer_user_chunk,
)
from default_enrollments.conf import app_settings
from default_enrollments.data import Outcome, OutcomeStatus
from default_enrollments.management.commands.default_enrollments_validate_intentions import parse_customer_uuid
from default_enrollments.tasks import realize_default_enrollments_for_customer_users

MAX_BATCH_SIZE = 10_000


class Command(BaseCommand):
    help = (
        "Realize default enrollment intentions for learners already linked to their enterprise customer, "
        "with the same decisions and writes as a login. Safe to re-run: nothing is written twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprise-customer", metavar="UUID", help="Only this customer's learners.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be done for each learner; write nothing (runs in this process, even with ASYNC).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Customer users read per chunk (default {DEFAULT_BATCH_SIZE}; with ASYNC, per Celery task).",
        )
        parser.add_argument(
            "--start-after",
            type=int,
            metavar="PK",
            help="Resume after this customer-user primary key (printed as the run progresses).",
        )

    def handle(self, *args, **options):
        customer_uuid = parse_customer_uuid(options["enterprise_customer"])
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE}, not {batch_size}.")
        start_after = options["start_after"]
        if start_after is not None and start_after < 0:
            raise CommandError(f"--start-after must be a customer-user primary key (0 or more), not {start_after}.")
        dry_run = options["dry_run"]
        self.verbosity = options["verbosity"]

        total = backfill_customer_users(customer_uuid).filter(pk__gt=start_after or 0).count()
        if app_settings.ASYNC and not dry_run:
            self._fan_out(iter_customer_user_chunks(customer_uuid, batch_size=batch_size, start_after=start_after),
                          total)
            return
        chunks = iter_customer_user_link_chunks(customer_uuid, batch_size=batch_size, start_after=start_after)

        report = BackfillReport()
        intentions_by_customer = IntentionsByCustomer()
        progress = tqdm(
            total=total, unit="learner", desc="default enrollments", disable=not self.stdout.isatty(),
            file=self.stderr._out,
        )
        try:
            for links in chunks:
                pks = [link.pk for link in links]
                outcomes = realize_customer_user_chunk(
                    pks,
                    dry_run=dry_run,
                    intentions_by_customer=intentions_by_customer,
                    on_outcomes=self._print_dry_run if dry_run else None,
                    customer_users=links,
                )
                report.add(outcomes)
                report.learners += len(pks)
                report.chunks += 1
                report.last_pk = pks[-1]
                progress.set_postfix(last_pk=report.last_pk, refresh=False)
                progress.update(len(pks))
                if self.verbosity >= 2:
                    self.stdout.write(f"chunk {report.chunks} done: last customer-user pk {report.last_pk}")
        except KeyboardInterrupt:
            progress.close()
            self._write_summary(report, dry_run, intentions_by_customer)
            resume = f" --start-after {report.last_pk}" if report.last_pk is not None else ""
            raise CommandError(f"Interrupted. Resume with: manage.py realize_default_enrollments{resume}") from None
        progress.close()
        self._write_summary(report, dry_run, intentions_by_customer)

    def _fan_out(self, chunks, total: int) -> None:
        """One Celery task per chunk of customer-user keys; workers realize them through the same path."""
        sent = 0
        last_pk = None
        for pks in chunks:
            realize_default_enrollments_for_customer_users.delay(pks)
            sent += 1
            last_pk = pks[-1]
        self.stdout.write(
            f"Queued {sent} Celery task(s) for {total} learner(s)"
            + (f"; last customer-user pk {last_pk}." if last_pk is not None else ".")
        )

    def _print_dry_run(self, customer_user: Model, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.status == OutcomeStatus.ALREADY_ENROLLED and self.verbosity < 2:
                continue
            would = {
                OutcomeStatus.ENROLLED: "would enroll",
                OutcomeStatus.UPGRADED: "would upgrade",
                OutcomeStatus.ALREADY_ENROLLED: "already enrolled",
                OutcomeStatus.SKIPPED: "would skip",
                OutcomeStatus.FAILED: "would fail",
            }[outcome.status]
            details = [f"run {outcome.course_run_key}" if outcome.course_run_key else "no run"]
            if outcome.mode:
                details.append(f"mode {outcome.mode}")
            if outcome.reason:
                details.append(f"reason {outcome.reason.value}")
            self.stdout.write(
                f"[dry run] user {outcome.user_id} customer {outcome.enterprise_customer_uuid}: {would} "
                f"{outcome.content_key} ({', '.join(details)})"
            )

    def _write_summary(
        self, report: BackfillReport, dry_run: bool, intentions_by_customer: IntentionsByCustomer
    ) -> None:
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{report.learners} learner(s) in {report.chunks} chunk(s)"
            + (f", last customer-user pk {report.last_pk}" if report.last_pk is not None else "")
            + "."
        )
        for status in OutcomeStatus:
            self.stdout.write(f"  {status.value}: {report.outcomes[status.value]}")
        if report.reasons:
            reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(report.reasons.items()))
            self.stdout.write(f"  reasons: {reasons}")
        if intentions_by_customer.deferred_learners:
            self.stdout.write(
                f"  deferred: {intentions_by_customer.deferred_learners} learner(s) of customer(s) the catalog could "
                f"not answer for ({', '.join(sorted(map(str, intentions_by_customer.catalog_unavailable)))}); "
                "run the command again later"
            )
