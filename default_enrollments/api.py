"""
The public Python API: what other apps, our commands, views, handlers and tasks call.

Catalog work here is batched: a list of intentions costs one catalog batch, not one call per row.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from uuid import UUID

from default_enrollments.catalog import get_catalog
from default_enrollments.catalog.resolution import resolve
from default_enrollments.data import Reason, Resolution
from default_enrollments.exceptions import CatalogError
from default_enrollments.keys import MalformedKey, content_type_for_key

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
