"""
The backfill: realize the default enrollments of learners who were linked before an intention existed.

``manage.py realize_default_enrollments`` and its Celery fan-out call this module; it realizes a chunk's learners
of each customer together through ``api.realize_for_customer_users``, the same decision table and writer as
login, and one at a time through ``api.realize_for_customer_user`` when the chunk fails as a whole.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils import timezone

from default_enrollments import api
from default_enrollments.data import Outcome
from default_enrollments.models import BackfillRun
from default_enrollments.monitoring import log_unexpected_error

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass
class BackfillReport:
    """Totals of one backfill run; ``last_pk`` is where ``--start-after`` resumes."""

    learners: int = 0
    chunks: int = 0
    last_pk: int | None = None
    outcomes: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    def add(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self.outcomes[outcome.status.value] += 1
            if outcome.reason:
                self.reasons[outcome.reason.value] += 1


def customers_with_intentions(enterprise_customer_uuid: UUID | None = None) -> list:
    """Primary keys of the customers that have at least one live intention (the only ones a backfill visits)."""
    return sorted(set(api.live_intentions(enterprise_customer_uuid).values_list("enterprise_customer_id", flat=True)))


def backfill_customer_users(enterprise_customer_uuid: UUID | None = None):
    """Active, linked customer users of active customers that have live intentions (as at login)."""
    return api.linked_customer_users().filter(
        enterprise_customer_id__in=customers_with_intentions(enterprise_customer_uuid)
    )


def iter_customer_user_chunks(
    enterprise_customer_uuid: UUID | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    start_after: int | None = None,
) -> Iterator[list[int]]:
    """
    Primary keys of linked customer users in ascending chunks (keyset pagination): memory stays bounded by
    ``batch_size`` and an interrupted run resumes from the last key it printed.
    """
    yield from iter_customer_user_link_chunks(
        enterprise_customer_uuid, batch_size=batch_size, start_after=start_after, keys_only=True
    )


def iter_customer_user_link_chunks(
    enterprise_customer_uuid: UUID | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    start_after: int | None = None,
    keys_only: bool = False,
) -> Iterator[list]:
    """``iter_customer_user_chunks``, the links themselves: what a chunk realized in this process reads once."""
    customer_users = backfill_customer_users(enterprise_customer_uuid).order_by("pk")
    last = start_after
    while True:
        chunk = customer_users if last is None else customer_users.filter(pk__gt=last)
        links = list((chunk.values_list("pk", flat=True) if keys_only else chunk)[:batch_size])
        if not links:
            return
        yield links
        last = links[-1] if keys_only else links[-1].pk


class IntentionsByCustomer:
    """
    Each customer's live intentions, loaded and resolved once per backfill rather than once per learner.

    Resolving them here warms the catalog cache, so realizing many learners of one customer asks the
    catalog once. It also remembers customers for which the catalog could
    not be reached: their remaining learners are deferred to a later run instead of each waiting out the
    catalog's timeouts.
    """

    def __init__(self) -> None:
        self._intentions: dict = {}
        self._known: dict = {}
        self.catalog_unavailable: set = set()
        self.deferred_learners = 0

    def get(self, customer_uuid) -> list:
        if customer_uuid not in self._intentions:
            intentions = list(api.live_intentions(customer_uuid))
            self._known[customer_uuid] = intentions
            if intentions:
                api.resolve_intentions(intentions)
            self._intentions[customer_uuid] = intentions
        return self._intentions[customer_uuid]

    def known(self, customer_uuid) -> list:
        """The customer's intentions as far as they were read, even when resolving them failed."""
        return self._known.get(customer_uuid, [])


def realize_customer_user_chunk(
    customer_user_pks: Sequence[int],
    *,
    dry_run: bool = False,
    intentions_by_customer: IntentionsByCustomer | None = None,
    on_outcomes: Callable[[object, list[Outcome]], None] | None = None,
    customer_users: Sequence | None = None,
) -> list[Outcome]:
    """
    Realize the default enrollments of one chunk of customer users: per customer, decided together and written
    in one transaction (``api.realize_for_customer_users``), the same decision table and writer as login.

    Rows are read here (one query for the links, one for the users), so a link deactivated since the chunk was
    listed is skipped, and a Celery worker given only the keys does the same work as the command. A caller that
    has just read the chunk's links through ``iter_customer_user_link_chunks`` passes them as ``customer_users``.
    Should a customer's part of the chunk fail as a whole, its learners are realized again one at a time, so a
    failure costs only the learner it belongs to.
    """
    intentions_by_customer = intentions_by_customer or IntentionsByCustomer()
    if customer_users is None:
        customer_users = list(api.linked_customer_users().filter(pk__in=list(customer_user_pks)).order_by("pk"))
    users = get_user_model()._default_manager.only(*_user_fields()).in_bulk([cu.user_id for cu in customer_users])
    by_customer: dict = {}
    for customer_user in customer_users:
        if customer_user.user_id not in users:
            logger.warning(
                "default enrollment backfill: customer user %s names user %s, who does not exist; skipped",
                customer_user.pk, customer_user.user_id,
            )
            continue
        by_customer.setdefault(customer_user.enterprise_customer_id, []).append(customer_user)
    outcomes: list[Outcome] = []
    for customer_uuid, links in by_customer.items():
        if customer_uuid in intentions_by_customer.catalog_unavailable:
            intentions_by_customer.deferred_learners += len(links)
            continue
        try:
            intentions = intentions_by_customer.get(customer_uuid)
            realized = api.realize_for_customer_users(
                links, users, intentions, dry_run=dry_run, source="backfill"
            ) if intentions else []
        except Exception as exc:  # noqa: BLE001 (one learner's failure must not cost the others theirs)
            logger.warning(
                "default enrollment backfill: customer=%s customer users %s to %s not realized together "
                "(error=%s); realized one at a time",
                customer_uuid, links[0].pk, links[-1].pk, type(exc).__name__,
            )
            outcomes.extend(_realize_one_at_a_time(links, users, intentions_by_customer, dry_run, on_outcomes))
            continue
        for customer_user, learner_outcomes in zip(links, realized, strict=False):
            if on_outcomes is not None:
                on_outcomes(customer_user, learner_outcomes)
            outcomes.extend(learner_outcomes)
        if intentions and (len(realized) < len(links) or any(o.is_transient for o in realized[-1])):
            _defer_customer(customer_uuid, intentions_by_customer, len(links) - len(realized))
    return outcomes


@cache
def _user_fields() -> tuple[str, ...]:
    """
    The user fields a realization reads (the key, the login name an LMS enrolls by, the email, ``is_active``):
    a chunk's users are read with these only, rather than whole rows with password hashes and profiles.
    """
    model = get_user_model()
    names = {field.name for field in model._meta.concrete_fields}
    wanted = [model._meta.pk.name, model.USERNAME_FIELD, model.get_email_field_name(), "is_active"]
    return tuple(dict.fromkeys(name for name in wanted if name in names))


def _realize_one_at_a_time(
    links: list, users: dict, intentions_by_customer: IntentionsByCustomer, dry_run: bool,
    on_outcomes: Callable[[object, list[Outcome]], None] | None,
) -> list[Outcome]:
    """One customer's learners of a chunk, one transaction each: a learner's failure is counted as theirs."""
    outcomes: list[Outcome] = []
    for position, customer_user in enumerate(links):
        customer_uuid = customer_user.enterprise_customer_id
        try:
            intentions = intentions_by_customer.get(customer_uuid)
            if not intentions:
                continue
            learner_outcomes = api.realize_for_customer_user(
                customer_user, user=users[customer_user.user_id], intentions=intentions, dry_run=dry_run,
                source="backfill",
            )
        except Exception:  # noqa: BLE001 (one learner's or customer's failure must not stop the run)
            log_unexpected_error(
                logger,
                "default enrollment backfill: realizing customer user %s (user %s, customer %s) failed; "
                "counted as failed, the run goes on",
                customer_user.pk, customer_user.user_id, customer_uuid,
            )
            learner_outcomes = api.record_unexpected_failure(
                customer_user, intentions_by_customer.known(customer_uuid), source="backfill", dry_run=dry_run
            )
        if on_outcomes is not None:
            on_outcomes(customer_user, learner_outcomes)
        outcomes.extend(learner_outcomes)
        if any(outcome.is_transient for outcome in learner_outcomes):
            _defer_customer(customer_uuid, intentions_by_customer, len(links) - position - 1)
            break
    return outcomes


def _defer_customer(customer_uuid, intentions_by_customer: IntentionsByCustomer, learners: int) -> None:
    logger.warning(
        "default enrollment backfill: a service the decisions need (the catalog, license-manager) is unavailable "
        "for customer=%s; its remaining learners are deferred to a later run",
        customer_uuid,
    )
    intentions_by_customer.catalog_unavailable.add(customer_uuid)
    intentions_by_customer.deferred_learners += learners


def realize_customer(run_id: int, *, batch_size: int = DEFAULT_BATCH_SIZE) -> BackfillReport | None:
    """
    Run one stored "enroll now" run (``BackfillRun``): the command's path for that run's customer, its progress
    saved after each chunk, its active mark cleared at the end whatever happens.

    Returns None when the run is not queued (it already ran, or another worker took it).
    """
    claimed = BackfillRun.objects.filter(pk=run_id, status=BackfillRun.Status.QUEUED).update(
        status=BackfillRun.Status.RUNNING, started_at=timezone.now(), modified=timezone.now()
    )
    if not claimed:
        return None
    run = BackfillRun.objects.get(pk=run_id)
    report = BackfillReport()
    status = BackfillRun.Status.FAILED
    try:
        customer = run.enterprise_customer_uuid
        BackfillRun.objects.filter(pk=run_id).update(learners_total=backfill_customer_users(customer).count())
        intentions = IntentionsByCustomer()
        for pks in iter_customer_user_chunks(customer, batch_size=batch_size):
            report.add(realize_customer_user_chunk(pks, intentions_by_customer=intentions))
            report.learners += len(pks)
            report.chunks += 1
            deferred = {"deferred": intentions.deferred_learners} if intentions.deferred_learners else {}
            BackfillRun.objects.filter(pk=run_id).update(
                learners_done=report.learners,
                outcomes={**report.outcomes, **deferred},  # deferred: learners left for later (catalog down)
                reasons=dict(report.reasons),
                modified=timezone.now(),  # a run that stops moving is taken as dead (admin.actions.STALE_AFTER)
            )
        status = BackfillRun.Status.SUCCEEDED
    finally:
        BackfillRun.objects.filter(pk=run_id).update(status=status, running_for=None, finished_at=timezone.now())
    return report
