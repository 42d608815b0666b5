"""
The public Python API: what other apps, our commands, views, handlers and tasks call.

Catalog work here is batched: a list of intentions costs one catalog batch, not one call per row.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from default_enrollments import realization
from default_enrollments.catalog import get_catalog
from default_enrollments.catalog.resolution import resolve
from default_enrollments.data import (
    Action,
    IntentionStatus,
    LearnerStatus,
    Outcome,
    Reason,
    Resolution,
)
from default_enrollments.exceptions import CatalogError
from default_enrollments.models import DefaultEnterpriseEnrollmentIntention, get_enterprise_customer_user_model

logger = logging.getLogger(__name__)


def resolve_intentions(intentions: Iterable, *, deadline: float | None = None) -> dict[UUID, Resolution]:
    """
    Resolve many intentions with one catalog batch and remember each answer on its instance.

    A catalog outage becomes a ``catalog_unavailable`` resolution for each intention with a well-formed
    key: kept on the instance for the rest of this request, never in the cache, so a later call asks again.
    """
    intentions = list(intentions)
    keys = list(dict.fromkeys((intention.content_key or "").strip() for intention in intentions))
    resolved: dict[str, Resolution] = {}
    failure: CatalogError | None = None
    try:
        resolved = get_catalog().get_resolutions(keys, deadline=deadline)
    except CatalogError as exc:
        failure = exc
        logger.warning(
            "catalog_unavailable_for_resolution intentions=%s customers=%s error=%s",
            len(intentions),
            ",".join(sorted({str(i.enterprise_customer_id) for i in intentions})),
            exc,
        )

    resolutions: dict[UUID, Resolution] = {}
    for intention in intentions:
        key = (intention.content_key or "").strip()
        resolution = resolved.get(key) or resolve(key, None)
        if failure is not None and resolution.reason != Reason.INVALID_KEY:
            resolution = Resolution(
                key,
                reason=Reason.CATALOG_UNAVAILABLE,
                message=f"The catalog could not be reached to resolve {key!r}: {failure}",
            )
        if not resolution.is_resolved and resolution.reason != Reason.CATALOG_UNAVAILABLE:
            logger.info(
                "intention_unresolved intention=%s customer=%s content_key=%s reason=%s",
                intention.uuid, intention.enterprise_customer_id, key, resolution.reason,
            )
        intention.__dict__["resolution"] = resolution
        resolutions[intention.uuid] = resolution
    return resolutions


def attach_applicable_catalogs(intentions: Iterable, *, deadline: float | None = None) -> dict[UUID, list[str]]:
    """
    Set each intention's ``applicable_enterprise_catalog_uuids``: its customer's catalogs holding the run.

    Batched per customer (1 + number of catalogs requests, cached per run). Empty when the intention does
    not resolve or the catalog cannot be reached; the outage is logged.
    """
    intentions = list(intentions)
    unresolved = [intention for intention in intentions if "resolution" not in intention.__dict__]
    if unresolved:
        resolve_intentions(unresolved, deadline=deadline)

    by_customer: dict[str, list] = defaultdict(list)
    for intention in intentions:
        by_customer[str(intention.enterprise_customer_id)].append(intention)

    attached: dict[UUID, list[str]] = {}
    catalog = get_catalog()
    for customer_uuid, customer_intentions in by_customer.items():
        run_keys = sorted(
            {i.resolution.run.course_run_key for i in customer_intentions if i.resolution.run is not None}
        )
        catalogs_by_run: dict[str, tuple[str, ...]] = {}
        if run_keys:
            try:
                catalogs_by_run = catalog.get_catalogs_containing(customer_uuid, run_keys, deadline=deadline)
            except CatalogError as exc:
                logger.warning(
                    "catalog_unavailable_for_catalog_lists customer=%s runs=%s error=%s",
                    customer_uuid, len(run_keys), exc,
                )
        for intention in customer_intentions:
            run = intention.resolution.run
            uuids = sorted(str(uuid) for uuid in catalogs_by_run.get(run.course_run_key, ())) if run else []
            intention.__dict__["applicable_enterprise_catalog_uuids"] = uuids
            attached[intention.uuid] = uuids
    return attached


# --- Realization ------------------------------------------------------------------------------------


def realize_default_enrollments(
    user, *, deadline: float | None = None, dry_run: bool = False, source: str = "api"
) -> list[Outcome]:
    """
    Enroll ``user`` in the default courses of every customer they are actively linked to.

    One outcome per live intention of those customers. The catalog is asked in one batch per customer
    (cached); each enrollment is written in its own savepoint, so a refusal for one intention leaves the
    others alone. ``deadline`` (a ``time.monotonic()`` value) bounds the catalog calls; ``source`` names
    the trigger in the outcome log lines and counters.
    """
    from default_enrollments import monitoring  # noqa: PLC0415 (keeps this module's imports light)

    customer_users = list(linked_customer_users().filter(user_id=user.pk).order_by("pk"))
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
    customer_user,
    *,
    user=None,
    intentions: Sequence | None = None,
    deadline: float | None = None,
    dry_run: bool = False,
    source: str = "api",
) -> list[Outcome]:
    """
    Realize one learner's default enrollments for one customer (the backfill and link triggers call this).

    Nothing happens unless the link is active and linked. ``user`` and ``intentions`` may be passed when
    the caller already holds them (a backfill loads each customer's intentions once); otherwise they are
    read here. Outcomes are recorded under ``source``, as ``realize_default_enrollments`` does.
    """
    from default_enrollments import monitoring  # noqa: PLC0415

    if not (customer_user.active and customer_user.linked):
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


def linked_customer_users() -> QuerySet:
    """Links through which a learner belongs to a customer: active, linked, and the customer active."""
    return get_enterprise_customer_user_model()._default_manager.filter(
        active=True, linked=True, enterprise_customer__active=True
    )


class LiveIntention:
    """
    A live intention as realization reads it: its uuid, customer and content key, and nothing else.

    Every login builds one per intention of the learner's customers; a plain object costs a fraction of a
    model instance. It carries ``pk`` and takes the ``resolution`` that ``resolve_intentions`` sets, like
    the model, so realization accepts either.
    """

    __slots__ = ("uuid", "enterprise_customer_id", "content_key", "__dict__")

    def __init__(self, uuid: UUID, enterprise_customer_id: UUID, content_key: str) -> None:
        self.uuid = uuid
        self.enterprise_customer_id = enterprise_customer_id
        self.content_key = content_key

    @property
    def pk(self) -> UUID:
        return self.uuid

    def __repr__(self) -> str:
        return f"<LiveIntention {self.uuid} {self.content_key!r} for customer {self.enterprise_customer_id}>"


def live_intentions(enterprise_customer_uuid: UUID | str | None = None) -> QuerySet:
    """Intentions that are not soft-deleted, optionally of one customer, in a stable order."""
    intentions = DefaultEnterpriseEnrollmentIntention.objects.order_by("enterprise_customer_id", "content_key", "uuid")
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


# --- Learner status (what the REST API's learner-status action shows) --------------------------------


def get_learner_status(user, enterprise_customer_uuid: UUID | str) -> LearnerStatus | None:
    """
    A learner's default enrollments for one customer, grouped by the decision table realization uses.

    None when the learner does not belong to the customer (the link, or the customer, is not active: then
    login would not enroll them either). The cost does not grow with the number
    of intentions: a fixed number of queries and of batched, cached catalog requests; modes are read live
    from the enrollment backend. A catalog outage never raises: what could not be resolved is reported as
    not enrollable with the reason ``catalog_unavailable``, and ``catalog_unavailable`` is set.
    """
    customer_user = (
        linked_customer_users()
        .filter(enterprise_customer_id=enterprise_customer_uuid, user_id=user.pk)
        .order_by("pk")
        .first()
    )
    if customer_user is None:
        return None
    intentions = list(live_intentions(enterprise_customer_uuid))
    evaluations = realization.evaluate_intentions(user, customer_user, intentions)
    attach_applicable_catalogs(intentions)

    by_uuid = {intention.uuid: intention for intention in intentions}
    statuses = [
        IntentionStatus(
            uuid=intention.uuid,
            content_key=intention.content_key,
            enterprise_customer_uuid=intention.enterprise_customer_id,
            created=intention.created,
            modified=intention.modified,
            resolution=evaluation.resolution,
            applicable_enterprise_catalog_uuids=tuple(intention.applicable_enterprise_catalog_uuids),
            enrollment=evaluation.enrollment,
            is_enrollment_audit=bool(evaluation.enrollment and realization.is_audit_mode(evaluation.enrollment.mode)),
            decision=evaluation.decision,
        )
        for evaluation in evaluations
        for intention in [by_uuid[evaluation.intention_uuid]]
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

