"""
The public Python API: what other apps, our commands, views, handlers and tasks call.

Catalog work is batched (``catalog.batch``): a list of intentions costs one catalog batch, not one call
per row, and comes back as value objects keyed by intention.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import fields
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model, QuerySet

from default_enrollments import monitoring, realization, toggles
from default_enrollments.catalog import batch, one_client
from default_enrollments.catalog.batch import applicable_catalogs, resolve_intentions
from default_enrollments.data import (
    Action,
    IntentionStatus,
    LearnerStatus,
    LiveIntention,
    Outcome,
    OutcomeStatus,
    Reason,
    Resolution,
    ResolvedIntention,
)
from default_enrollments.membership import is_member, memberships
from default_enrollments.models import get_enterprise_customer_user_model, get_intention_model

__all__ = [
    "LiveIntention",
    "applicable_catalogs",
    "get_learner_status",
    "is_member",
    "linked_customer_users",
    "live_intentions",
    "realize_default_enrollments",
    "realize_for_customer_user",
    "realize_for_customer_users",
    "realize_learner",
    "record_unexpected_failure",
    "resolve_intentions",
    "resolved_intentions",
]

logger = logging.getLogger(__name__)


# --- Realization ------------------------------------------------------------------------------------


def realize_default_enrollments(
    user: AbstractBaseUser,
    *,
    deadline: float | None = None,
    dry_run: bool = False,
    source: str = "api",
    skip_customers: Collection = (),
) -> list[Outcome]:
    """
    Enroll ``user`` in the default courses of every customer they are actively linked to.

    One outcome per live intention of those customers. The catalog is asked in one batch per customer
    (cached); a customer's enrollments are written in one batch, in which a refusal for one intention leaves
    the others alone. ``deadline`` (a ``time.monotonic()`` value) bounds the catalog calls; ``source`` names
    the trigger in the outcome log lines and counters; ``skip_customers`` (uuids) were realized just
    before by another trigger of the same request.
    """
    with monitoring.realization_span(source):
        customer_users = [
            cu for cu in memberships().filter(user_id=user.pk).order_by("pk")
            if cu.enterprise_customer_id not in skip_customers
        ]
        allowed = toggles.customers_to_realize([cu.enterprise_customer_id for cu in customer_users])
        return _realize_customer_users(
            user, [cu for cu in customer_users if cu.enterprise_customer_id in allowed],
            deadline=deadline, dry_run=dry_run, source=source,
        )


def _realize_customer_users(
    user: AbstractBaseUser, customer_users: list, *, deadline: float | None, dry_run: bool, source: str
) -> list[Outcome]:
    intentions_by_customer = _live_intentions_by_customer([cu.enterprise_customer_id for cu in customer_users])
    outcomes: list[Outcome] = []
    for customer_user in customer_users:
        outcomes.extend(
            realization.realize_intentions(
                user,
                customer_user,
                intentions_by_customer.get(customer_user.enterprise_customer_id, []),
                deadline=deadline,
                dry_run=dry_run,
            )
        )
    monitoring.record_outcomes(outcomes, source=source, dry_run=dry_run)
    return outcomes


def realize_for_customer_user(
    customer_user: Model,
    *,
    user: AbstractBaseUser | None = None,
    intentions: Sequence | None = None,
    deadline: float | None = None,
    dry_run: bool = False,
    source: str = "api",
) -> list[Outcome]:
    """
    Realize one learner's default enrollments for one customer (the backfill and link triggers call this).

    Nothing happens unless the link makes the learner a member (``membership.is_member``). ``user`` and
    ``intentions`` may be passed when the caller already holds them (a backfill loads each customer's
    intentions once); otherwise they are read here. Outcomes are recorded under ``source``, as
    ``realize_default_enrollments`` does.
    """
    if not is_member(customer_user):
        return []
    with monitoring.realization_span(source):
        if not toggles.customers_to_realize([customer_user.enterprise_customer_id]):
            return []
        if user is None:
            user = get_user_model()._default_manager.get(pk=customer_user.user_id)
        if intentions is None:
            intentions = _live_intentions_by_customer([customer_user.enterprise_customer_id]).get(
                customer_user.enterprise_customer_id, []
            )
        outcomes = realization.realize_intentions(
            user, customer_user, list(intentions), deadline=deadline, dry_run=dry_run
        )
        monitoring.record_outcomes(outcomes, source=source, dry_run=dry_run)
        return outcomes


def realize_for_customer_users(
    customer_users: Sequence[Model],
    users: Mapping,
    intentions: Sequence,
    *,
    dry_run: bool = False,
    source: str = "api",
) -> list[list[Outcome]]:
    """
    ``realize_for_customer_user`` for many links of one customer at once (a backfill chunk): decided together,
    written in one transaction under all their locks. ``users`` maps user pk to user.

    The links are taken as read through ``linked_customer_users()`` (members when read): the writer checks
    again under the lock, and a link that stopped making its learner a member meanwhile gets ``skipped``.
    Outcomes per link, in order. The list ends early, after the first learner whose outcomes say the catalog
    is unavailable: the learners after it are left for a later run, rather than each waiting out the
    catalog's timeouts.
    """
    if not customer_users:
        return []
    customer_uuids = {customer_user.enterprise_customer_id for customer_user in customer_users}
    if len(customer_uuids) != 1:
        raise ValueError("realize_for_customer_users takes the links of one customer")
    with monitoring.realization_span(source):
        if not toggles.customers_to_realize(customer_uuids):
            return [[] for _ in customer_users]
        learners = [(users[customer_user.user_id], customer_user) for customer_user in customer_users]
        with one_client():  # the chunk's catalog questions over one connection
            outcomes = realization.realize_learners(
                learners, list(intentions), dry_run=dry_run, stop_when_unavailable=True
            )
        monitoring.record_outcomes([o for learner in outcomes for o in learner], source=source, dry_run=dry_run)
        return outcomes


def realize_learner(
    user: AbstractBaseUser | int,
    *,
    customer_user: Model | int | None = None,
    deadline: float | None = None,
    source: str = "api",
    skip_customers: Collection = (),
) -> list[Outcome]:
    """
    The one entry point of the login, link and task triggers: realize a learner, for one link or all.

    ``user`` and ``customer_user`` may be instances or primary keys (a task receives keys). A learner or
    link that no longer exists is logged and left alone: nothing to do, nothing to retry.
    """
    if not isinstance(user, AbstractBaseUser):
        user_id, user = user, get_user_model()._default_manager.filter(pk=user).first()
        if user is None:
            logger.warning("default enrollments: user=%s does not exist; nothing to do", user_id)
            return []
    if not isinstance(customer_user, Model | None):
        customer_user = get_enterprise_customer_user_model()._default_manager.filter(pk=customer_user).first()
        if customer_user is None:
            return []
    with one_client():  # the catalog questions of one learner over one connection
        if customer_user is None:
            return realize_default_enrollments(user, deadline=deadline, source=source, skip_customers=skip_customers)
        return realize_for_customer_user(customer_user, user=user, deadline=deadline, source=source)


def record_unexpected_failure(
    customer_user: Model, intentions: Sequence, *, source: str = "api", dry_run: bool = False
) -> list[Outcome]:
    """
    The outcomes of a learner whose realization raised something unexpected: one failure per intention
    (reason ``internal_error``, not retried on its own), recorded like any other outcome, so a backfill
    counts the learner and goes on to the next. The caller logs the traceback with the ids.
    """
    outcomes = [
        Outcome(
            user_id=customer_user.user_id, enterprise_customer_uuid=customer_user.enterprise_customer_id,
            intention_uuid=intention.uuid, content_key=intention.content_key, status=OutcomeStatus.FAILED,
            reason=Reason.INTERNAL_ERROR,
        )
        for intention in intentions
    ]
    monitoring.record_outcomes(outcomes, source=source, dry_run=dry_run)
    return outcomes


def linked_customer_users() -> QuerySet:
    """Links through which a learner belongs to a customer (``membership.memberships``)."""
    return memberships()


def live_intentions(enterprise_customer_uuid: UUID | str | None = None) -> QuerySet:
    """Intentions that are not soft-deleted, optionally of one customer, in a stable order."""
    intentions = get_intention_model().available_objects.order_by("enterprise_customer_id", "content_key", "uuid")
    if enterprise_customer_uuid is not None:
        intentions = intentions.filter(enterprise_customer_id=enterprise_customer_uuid)
    return intentions


def _live_intentions_by_customer(customer_uuids: Sequence) -> dict[UUID, list[LiveIntention]]:
    """The live intentions of these customers, in one query, grouped by customer."""
    grouped: dict = defaultdict(list)
    customers = set(customer_uuids)
    if not customers:
        return grouped
    rows = live_intentions().filter(enterprise_customer_id__in=customers)
    for uuid, customer, key in rows.values_list("uuid", "enterprise_customer_id", "content_key"):
        grouped[customer].append(LiveIntention(uuid, customer, key))
    return grouped


def resolved_intentions(
    intentions: Iterable,
    resolutions: Mapping[UUID, Resolution] | None = None,
    *,
    with_catalogs: bool = True,
    deadline: float | None = None,
) -> dict[UUID, ResolvedIntention]:
    """
    Value objects for many intentions in one batch (``catalog.batch.resolved_intentions``), each run's best mode
    the one login would use: the LMS's, where the enrollment backend answers (``realization.with_lms_modes``).

    ``resolutions`` passed in are used as they are.
    """
    intentions = list(intentions)
    if resolutions is None:
        resolutions = realization.with_lms_modes(resolve_intentions(intentions, deadline=deadline))
    return batch.resolved_intentions(intentions, resolutions, with_catalogs=with_catalogs, deadline=deadline)


# --- Learner status (what the REST API's learner-status action shows) --------------------------------


def get_learner_status(user: AbstractBaseUser, enterprise_customer_uuid: UUID | str) -> LearnerStatus | None:
    """
    A learner's default enrollments for one customer, grouped by the decision table realization uses.

    None when the learner does not belong to the customer (the link, or the customer, is not active: then
    login would not enroll them either). The cost does not grow with the number
    of intentions: a fixed number of queries and of batched, cached catalog requests; modes are read live
    from the enrollment backend. A catalog outage never raises: what could not be resolved is reported as
    not enrollable with the reason ``catalog_unavailable``, and ``catalog_unavailable`` is set.
    """
    customer_user = (
        memberships()
        .filter(enterprise_customer_id=enterprise_customer_uuid, user_id=user.pk)
        .order_by("pk")
        .first()
    )
    if customer_user is None:
        return None
    intentions = list(live_intentions(enterprise_customer_uuid))
    with one_client():  # one HTTP session for every catalog question below
        # The catalog lists first: the answer names each run's catalogs, so the default policy's membership
        # question that follows is answered from the cache instead of by another request.
        resolved = resolved_intentions(intentions)
        resolutions = {uuid: intention.resolution for uuid, intention in resolved.items()}
        evaluations = realization.evaluate_intentions(user, customer_user, intentions, resolutions=resolutions)
    statuses = [
        IntentionStatus(
            **_stored_and_resolved(resolved[evaluation.intention_uuid]),
            enrollment=evaluation.enrollment,
            is_enrollment_audit=bool(evaluation.enrollment and realization.is_audit_mode(evaluation.enrollment.mode)),
            decision=evaluation.decision,
        )
        for evaluation in evaluations
    ]
    status = LearnerStatus(
        lms_user_id=user.pk,
        user_email=user.email,
        enterprise_customer_uuid=UUID(str(enterprise_customer_uuid)),
        already_enrolled=tuple(s for s in statuses if s.decision.action == Action.ALREADY_ENROLLED),
        enrollable=tuple(s for s in statuses if s.decision.action in (Action.ENROLL, Action.UPGRADE)),
        not_enrollable=tuple(s for s in statuses if s.decision.action == Action.SKIP),
        catalog_unavailable=any(
            Reason.CATALOG_UNAVAILABLE in (s.resolution.reason, s.decision.reason) for s in statuses
        ),
    )
    logger.info(
        "learner_status user=%s customer=%s intentions=%s already_enrolled=%s enrollable=%s not_enrollable=%s "
        "catalog_unavailable=%s",
        user.pk, enterprise_customer_uuid, status.total, len(status.already_enrolled), len(status.enrollable),
        len(status.not_enrollable), status.catalog_unavailable,
    )
    return status



def _stored_and_resolved(intention: ResolvedIntention) -> dict:
    return {field.name: getattr(intention, field.name) for field in fields(ResolvedIntention)}
