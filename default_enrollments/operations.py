"""
What the operator commands do: check intentions against the catalog, and backfill learners already linked.

The commands only parse arguments and print; this module does the work so that a Celery task, a
notebook or a host's own command can call the same code. The backfill realizes through
``api.realize_for_customer_user``, the same decision table and writer as login.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from uuid import UUID

from django.contrib.auth import get_user_model

from default_enrollments import api
from default_enrollments.data import Outcome, OutcomeStatus, Reason
from default_enrollments.exceptions import CatalogError

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


# --- Validation --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntentionCheck:
    """The verdict on one live intention: does it lead to a run its customer's learners can be enrolled in?"""

    uuid: str
    customer: str
    content_key: str
    content_type: str
    course_run_key: str | None
    ok: bool
    reason: str | None = None
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def validate_intentions(enterprise_customer_uuid: UUID | None = None) -> list[IntentionCheck]:
    """
    Check every live intention: its key resolves to a run (one catalog batch per customer), the run is
    enrollable and has a mode to enroll in, and one of the customer's catalogs holds it (one
    ``filter_content_items`` call per customer).
    """
    by_customer: dict[UUID, list] = defaultdict(list)
    for intention in api.live_intentions(enterprise_customer_uuid):
        by_customer[intention.enterprise_customer_id].append(intention)

    checks: list[IntentionCheck] = []
    for customer_uuid, intentions in by_customer.items():
        resolutions = api.resolve_intentions(intentions)
        contained, catalog_error = _runs_in_customer_catalogs(
            customer_uuid, [res.run.course_run_key for res in resolutions.values() if res.run]
        )
        for intention in intentions:
            check = _check(intention, resolutions[intention.uuid], contained, catalog_error)
            checks.append(check)
            if not check.ok:
                logger.info(
                    "default enrollment intention fails validation: customer=%s intention=%s content_key=%s "
                    "run=%s reason=%s message=%s",
                    check.customer, check.uuid, check.content_key, check.course_run_key or "", check.reason,
                    check.message,
                )
    return checks


def _runs_in_customer_catalogs(customer_uuid: UUID, run_keys: Sequence[str]) -> tuple[set[str], str]:
    """The lowercased run keys one of the customer's catalogs holds, or an error message when the catalog failed."""
    from default_enrollments.catalog import get_catalog  # noqa: PLC0415 (the catalog package is optional at import)

    if not run_keys:
        return set(), ""
    try:
        contained = get_catalog().filter_content_items(customer_uuid, sorted(set(run_keys)))
    except CatalogError as exc:
        return set(), f"could not ask the catalog which of customer {customer_uuid}'s catalogs hold the runs: {exc}"
    return {key.lower() for key in contained}, ""


def _check(intention, resolution, contained: set[str], catalog_error: str) -> IntentionCheck:
    run = resolution.run

    def verdict(ok: bool, reason: Reason | str | None = None, message: str = "") -> IntentionCheck:
        return IntentionCheck(
            uuid=str(intention.uuid),
            customer=str(intention.enterprise_customer_id),
            content_key=intention.content_key,
            content_type=intention.content_type,
            course_run_key=run.course_run_key if run else None,
            ok=ok,
            reason=str(reason) if reason else None,
            message=message,
        )

    if run is None:
        reason = resolution.reason or Reason.UNKNOWN_CONTENT
        return verdict(False, reason, resolution.message or f"{intention.content_key} does not resolve to a run")
    if not run.is_enrollable:
        return verdict(
            False, Reason.NOT_ENROLLABLE, f"run {run.course_run_key} is not open for enrollment (closed or unpublished)"
        )
    if not run.best_mode:
        return verdict(False, Reason.NO_MODE, f"run {run.course_run_key} offers no mode learners can be enrolled in")
    if catalog_error:
        return verdict(False, Reason.CATALOG_UNAVAILABLE, catalog_error)
    if run.course_run_key.lower() not in contained:
        return verdict(
            False,
            Reason.NOT_ELIGIBLE,
            f"run {run.course_run_key} is not in any catalog of customer {intention.enterprise_customer_id}",
        )
    return verdict(True, message=f"enrolls learners in {run.course_run_key} as {run.best_mode}")


# --- Backfill ----------------------------------------------------------------------------------------


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
    customer_users = backfill_customer_users(enterprise_customer_uuid).order_by("pk")
    last = start_after
    while True:
        chunk = customer_users if last is None else customer_users.filter(pk__gt=last)
        pks = list(chunk.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield pks
        last = pks[-1]


class IntentionsByCustomer:
    """
    Each customer's live intentions, loaded and resolved once per backfill rather than once per learner.

    Intentions carry their ``resolution`` once resolved, so realizing many learners of one customer reads the
    catalog once (and the catalog cache afterwards). It also remembers customers for which the catalog could
    not be reached: their remaining learners are deferred to a later run instead of each waiting out the
    catalog's timeouts.
    """

    def __init__(self) -> None:
        self._intentions: dict = {}
        self.catalog_unavailable: set = set()
        self.deferred_learners = 0

    def get(self, customer_uuid) -> list:
        if customer_uuid not in self._intentions:
            intentions = list(api.live_intentions(customer_uuid))
            if intentions:
                api.resolve_intentions(intentions)
            self._intentions[customer_uuid] = intentions
        return self._intentions[customer_uuid]


def realize_customer_user_chunk(
    customer_user_pks: Sequence[int],
    *,
    dry_run: bool = False,
    intentions_by_customer: IntentionsByCustomer | None = None,
    on_outcomes: Callable[[object, list[Outcome]], None] | None = None,
) -> list[Outcome]:
    """
    Realize the default enrollments of one chunk of customer users, through the login path.

    Rows are re-read here (one query for the links, one for the users), so a link deactivated since the chunk
    was listed is skipped, and a Celery worker given only the keys does the same work as the command.
    """
    intentions_by_customer = intentions_by_customer or IntentionsByCustomer()
    customer_users = list(api.linked_customer_users().filter(pk__in=list(customer_user_pks)).order_by("pk"))
    users = get_user_model()._default_manager.in_bulk([cu.user_id for cu in customer_users])
    outcomes: list[Outcome] = []
    for customer_user in customer_users:
        user = users.get(customer_user.user_id)
        if user is None:
            logger.warning(
                "default enrollment backfill: customer user %s names user %s, who does not exist; skipped",
                customer_user.pk, customer_user.user_id,
            )
            continue
        customer_uuid = customer_user.enterprise_customer_id
        if customer_uuid in intentions_by_customer.catalog_unavailable:
            intentions_by_customer.deferred_learners += 1
            continue
        intentions = intentions_by_customer.get(customer_uuid)
        if not intentions:
            continue
        learner_outcomes = api.realize_for_customer_user(
            customer_user, user=user, intentions=intentions, dry_run=dry_run, source="backfill"
        )
        if any(
            outcome.status == OutcomeStatus.FAILED and outcome.reason == Reason.CATALOG_UNAVAILABLE
            for outcome in learner_outcomes
        ):
            logger.warning(
                "default enrollment backfill: the catalog is unavailable for customer=%s; its remaining learners "
                "are deferred to a later run",
                customer_uuid,
            )
            intentions_by_customer.catalog_unavailable.add(customer_uuid)
        if on_outcomes is not None:
            on_outcomes(customer_user, learner_outcomes)
        outcomes.extend(learner_outcomes)
    return outcomes
