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

from default_enrollments import realization
from default_enrollments.catalog import get_catalog
from default_enrollments.catalog.resolution import resolve
from default_enrollments.data import Outcome, Reason, Resolution
from default_enrollments.exceptions import CatalogError
from default_enrollments.keys import MalformedKey, content_type_for_key
from default_enrollments.models import DefaultEnterpriseEnrollmentIntention, get_enterprise_customer_user_model

logger = logging.getLogger(__name__)


def resolve_intentions(intentions: Iterable, *, deadline: float | None = None) -> dict[UUID, Resolution]:
    """
    Resolve many intentions with one catalog batch and remember each answer on its instance.

    A catalog outage becomes a ``catalog_unavailable`` resolution for each intention: kept on the
    instance for the rest of this request, never in the cache, so a later call asks again.
    """
    intentions = list(intentions)
    keys = {}
    for intention in intentions:
        key = (intention.content_key or "").strip()
        try:
            content_type_for_key(key)
        except MalformedKey:
            continue
        keys[key] = None
    documents: dict[str, dict | None] = {}
    failure: CatalogError | None = None
    if keys:
        try:
            documents = get_catalog().get_course_documents(list(keys), deadline=deadline)
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
        if failure is not None and key in keys:
            resolution = Resolution(
                key,
                reason=Reason.CATALOG_UNAVAILABLE,
                message=f"The catalog could not be reached to resolve {key!r}: {failure}",
            )
        else:
            resolution = resolve(key, documents.get(key))
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
    (cached); each enrollment is written in its own transaction, so a refusal for one intention leaves
    the others alone. ``deadline`` (a ``time.monotonic()`` value) bounds the catalog calls; ``source``
    names the trigger in the outcome log lines and counters.
    """
    from default_enrollments import monitoring  # noqa: PLC0415 (keeps this module's imports light)

    customer_users = list(_linked_customer_users().filter(user_id=user.pk).order_by("pk"))
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
) -> list[Outcome]:
    """
    Realize one learner's default enrollments for one customer (the backfill and link triggers call this).

    Nothing happens unless the link is active and linked. ``user`` and ``intentions`` may be passed when
    the caller already holds them (a backfill loads each customer's intentions once); otherwise they are
    read here. Outcomes are returned for the caller to record.
    """
    if not (customer_user.active and customer_user.linked):
        return []
    if user is None:
        user = get_user_model()._default_manager.get(pk=customer_user.user_id)
    if intentions is None:
        intentions = _live_intentions_by_customer([customer_user.enterprise_customer_id]).get(
            customer_user.enterprise_customer_id, []
        )
    return realization.realize_intentions(user, customer_user, list(intentions), deadline=deadline, dry_run=dry_run)


def _linked_customer_users():
    """Links through which a learner belongs to a customer: active, linked, and the customer active."""
    return get_enterprise_customer_user_model()._default_manager.filter(
        active=True, linked=True, enterprise_customer__active=True
    )


def _live_intentions_by_customer(customer_uuids: Sequence) -> dict:
    """The live (not soft-deleted) intentions of these customers, in one query, grouped by customer."""
    grouped: dict = defaultdict(list)
    if not customer_uuids:
        return grouped
    intentions = DefaultEnterpriseEnrollmentIntention.objects.filter(
        enterprise_customer_id__in=set(customer_uuids)
    ).order_by("enterprise_customer_id", "content_key", "uuid")
    for intention in intentions:
        grouped[intention.enterprise_customer_id].append(intention)
    return grouped
