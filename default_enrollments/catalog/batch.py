"""
Catalog answers for many intentions at once: one catalog batch per list, never one call per row.

An intention here is anything with ``uuid``, ``enterprise_customer_id`` and ``content_key`` (a model row
or a ``data.LiveIntention``). Answers come back as value objects keyed by the intention's uuid; nothing is
written onto the intentions themselves.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from uuid import UUID

from default_enrollments.catalog import get_catalog, one_client
from default_enrollments.catalog.resolution import resolve
from default_enrollments.data import Reason, Resolution, ResolvedIntention
from default_enrollments.exceptions import CatalogError
from default_enrollments.keys import stored_content_type

logger = logging.getLogger(__name__)


def resolve_intentions(intentions: Iterable, *, deadline: float | None = None) -> dict[UUID, Resolution]:
    """
    Resolve many intentions with one catalog batch: each intention's uuid to its ``Resolution``.

    A catalog outage becomes a ``catalog_unavailable`` resolution for each intention with a well-formed
    key: returned to this caller only, never cached, so a later call asks again.
    """
    intentions = list(intentions)
    keys = list(dict.fromkeys(_key(intention) for intention in intentions))
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
        key = _key(intention)
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
        resolutions[intention.uuid] = resolution
    return resolutions


def applicable_catalogs(
    intentions: Iterable,
    resolutions: Mapping[UUID, Resolution] | None = None,
    *,
    deadline: float | None = None,
) -> dict[UUID, list[str]]:
    """
    Each intention's customer catalogs that hold its run (sorted uuid strings), batched per customer.

    ``resolutions`` may be passed when the caller already has them. Empty when the intention does not
    resolve or the catalog cannot be reached; the outage is logged.
    """
    intentions = list(intentions)
    if resolutions is None:
        resolutions = resolve_intentions(intentions, deadline=deadline)
    by_customer: dict[str, list] = defaultdict(list)
    for intention in intentions:
        by_customer[str(intention.enterprise_customer_id)].append(intention)

    found: dict[UUID, list[str]] = {}
    catalog = get_catalog()
    for customer_uuid, customer_intentions in by_customer.items():
        runs = {i.uuid: resolutions[i.uuid].run for i in customer_intentions}
        run_keys = sorted({run.course_run_key for run in runs.values() if run is not None})
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
            run = runs[intention.uuid]
            found[intention.uuid] = (
                sorted(str(uuid) for uuid in catalogs_by_run.get(run.course_run_key, ())) if run else []
            )
    return found


def resolved_intentions(
    intentions: Iterable,
    resolutions: Mapping[UUID, Resolution] | None = None,
    *,
    with_catalogs: bool = True,
    deadline: float | None = None,
) -> dict[UUID, ResolvedIntention]:
    """
    Value objects for many intentions (stored fields, resolution, catalogs holding the run), in their order.

    One resolution batch (none when ``resolutions`` are passed), and with ``with_catalogs`` one
    catalog-list batch per customer.
    """
    intentions = list(intentions)
    with one_client():
        if resolutions is None:
            resolutions = resolve_intentions(intentions, deadline=deadline)
        catalogs = applicable_catalogs(intentions, resolutions, deadline=deadline) if with_catalogs else {}
    return {
        intention.uuid: ResolvedIntention(
            uuid=intention.uuid,
            content_key=intention.content_key,
            content_type=stored_content_type(intention),
            enterprise_customer_uuid=intention.enterprise_customer_id,
            created=getattr(intention, "created", None),
            modified=getattr(intention, "modified", None),
            resolution=resolutions[intention.uuid],
            applicable_enterprise_catalog_uuids=tuple(catalogs.get(intention.uuid, ())),
        )
        for intention in intentions
    }


def _key(intention) -> str:
    return (intention.content_key or "").strip()
