"""
The Django-cache layer in front of any catalog client.

One entry per key, so one batch fills many entries and a warm lookup of many keys is one ``get_many``.
"Unknown content" is a real answer and is cached; failures raise through and leave nothing behind.
Bump ``CACHE_VERSION`` when the shape of a cached value changes.

The login path asks for resolutions, not documents (``get_resolutions``): one entry per batch of content
keys holds what resolving each key found, a few strings per key, so a warm login reads one small entry
instead of unpickling and resolving a document per intention. It expires when its oldest document would,
so no answer outlives ``CACHE_TIMEOUT``.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches

from default_enrollments.catalog.base import CatalogClient
from default_enrollments.catalog.resolution import resolve
from default_enrollments.conf import app_settings
from default_enrollments.data import Reason, Resolution, ResolvedRun
from default_enrollments.keys import MalformedKey, content_type_for_key

CACHE_VERSION = 3
KEY_PREFIX = f"default_enrollments:catalog:v{CACHE_VERSION}"

logger = logging.getLogger(__name__)


class CachedCatalogClient(CatalogClient):
    """Answers from the Django cache (``CACHE_ALIAS``, ``CACHE_TIMEOUT``); asks ``inner`` only for misses."""

    def __init__(self, inner: CatalogClient) -> None:
        self.inner = inner
        self.cache_namespace = getattr(inner, "cache_namespace", "") or type(inner).__qualname__

    def close(self) -> None:
        self.inner.close()

    @property
    def _cache(self):
        return caches[app_settings.CACHE_ALIAS]

    def _key(self, kind: str, *parts: Any) -> str:
        # Content keys may hold characters memcached refuses and run up to 255 characters: hash them.
        digest = hashlib.sha256("\x1f".join([self.cache_namespace, *map(str, parts)]).encode()).hexdigest()[:40]
        return f"{KEY_PREFIX}:{kind}:{digest}"

    def _batch_key(self, content_keys: Sequence[str]) -> str:
        """The entry of one batch of resolutions; the best mode depends on MODE_PRIORITY, so that is in it too."""
        return self._key("resolutions", ",".join(app_settings.MODE_PRIORITY), *sorted(content_keys))

    def _cached(self, kind: str, scope: tuple, keys: list[str]) -> tuple[dict[str, Any], list[str]]:
        """Cached values for ``keys`` (one round trip) and the keys still missing."""
        entries, missing = self._entries(kind, scope, keys)
        return {key: entry["value"] for key, entry in entries.items()}, missing

    def _entries(self, kind: str, scope: tuple, keys: list[str]) -> tuple[dict[str, dict], list[str]]:
        """Cached entries (``value`` and ``at``, when it was fetched) for ``keys``, and the keys still missing."""
        cache_keys = {key: self._key(kind, *scope, key.lower()) for key in keys}
        found = self._cache.get_many(list(cache_keys.values()))
        hits = {key: found[cache_key] for key, cache_key in cache_keys.items() if cache_key in found}
        return hits, [key for key in keys if key not in hits]

    def _store(self, kind: str, scope: tuple, values: dict[str, Any], fetched_at: float | None = None) -> None:
        self._store_kinds([(kind, scope, values)], fetched_at)

    def _store_kinds(self, answers: list[tuple[str, tuple, dict[str, Any]]], fetched_at: float | None = None) -> None:
        """Entries of several kinds (``(kind, scope, values)``) in one round trip."""
        at = time.time() if fetched_at is None else fetched_at
        entries = {
            self._key(kind, *scope, key.lower()): {"value": value, "at": at}
            for kind, scope, values in answers
            for key, value in values.items()
        }
        if entries:
            self._cache.set_many(entries, timeout=app_settings.CACHE_TIMEOUT)

    def get_course_documents(
        self, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, dict | None]:
        documents, _ = self._documents(content_keys, deadline)
        return documents

    def _documents(
        self, content_keys: Sequence[str], deadline: float | None
    ) -> tuple[dict[str, dict | None], float | None]:
        """The documents of ``content_keys`` and when the oldest of them was fetched (None when unknown)."""
        keys = list(dict.fromkeys(key for key in content_keys if key))
        entries, missing = self._entries("document", (), keys)
        documents = {key: entry["value"] for key, entry in entries.items()}
        times = [entry.get("at") for entry in entries.values()]
        if missing:
            fetched_at = time.time()
            fetched = self.inner.get_course_documents(missing, deadline=deadline)
            fetched = {key: fetched.get(key) for key in missing}
            self._store("document", (), fetched, fetched_at)
            documents.update(fetched)
            times.append(fetched_at)
        oldest = None if not times or None in times else min(times)
        return {key: documents[key] for key in keys}, oldest

    def get_resolutions(self, content_keys: Sequence[str], *, deadline: float | None = None) -> dict[str, Resolution]:
        """
        Each content key's ``Resolution``: ``resolution.resolve`` over its course document.

        The whole batch is one cache entry, keyed by the keys as written (a resolution's messages quote
        them); a miss resolves from the cached or fetched documents and stores the batch until its oldest
        document expires. A hit parses no key: checking a run key's syntax costs more than reading it.
        Malformed keys resolve as such without a request. Failures raise and store nothing; a document that
        cannot be read costs only its own keys (``catalog_answer_malformed``) and keeps the batch out of the cache.
        """
        keys = list(dict.fromkeys(key for key in content_keys if key))
        if not keys:
            return {}
        batch_key = self._batch_key(keys)
        cached = self._cache.get(batch_key)
        if cached is not None:
            return {key: _expand(key, cached[key]) for key in keys}

        well_formed = [key for key in keys if _is_well_formed(key)]  # a malformed key is never sent to the catalog
        documents, oldest = self._documents(well_formed, deadline) if well_formed else ({}, time.time())
        resolutions = {key: resolve(key, documents.get(key)) for key in keys}
        unreadable = [key for key, resolution in resolutions.items() if resolution.reason == Reason.CATALOG_MALFORMED]
        if unreadable:
            # Ids only: the document itself is another service's answer and stays out of the logs.
            logger.warning("catalog_answer_malformed content_keys=%s", ",".join(unreadable))
            return resolutions  # not stored: the next call reads the (cached) documents again
        timeout = app_settings.CACHE_TIMEOUT
        if timeout is not None and oldest is not None:
            timeout -= time.time() - oldest  # the batch expires with its oldest document
        if oldest is not None and (timeout is None or timeout >= 1):
            compact = {key: _compact(resolution) for key, resolution in resolutions.items()}
            self._cache.set(batch_key, compact, timeout=timeout)
        return resolutions

    def filter_content_items(
        self,
        enterprise_customer_uuid: Any,
        content_keys: Sequence[str],
        catalog_uuids: Sequence[Any] | None = None,
        *,
        deadline: float | None = None,
    ) -> set[str]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        scope = (str(enterprise_customer_uuid), ",".join(sorted(str(uuid) for uuid in catalog_uuids or ())) or "*")
        hits, missing = self._cached("member", scope, keys)
        if missing and not catalog_uuids:
            # A key whose catalog list is known is in one of the customer's catalogs when that list is not empty.
            lists, missing = self._cached("catalogs", (str(enterprise_customer_uuid),), missing)
            hits.update({key: bool(catalogs) for key, catalogs in lists.items()})
        if missing:
            members = self.inner.filter_content_items(
                enterprise_customer_uuid, missing, catalog_uuids, deadline=deadline
            )
            fetched = {key: key in members for key in missing}
            self._store("member", scope, fetched)
            hits.update(fetched)
        return {key for key in keys if hits[key]}

    def get_catalogs_holding_any(
        self, enterprise_customer_uuid: Any, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> tuple[str, ...]:
        # A question about a set of keys: not worth caching on its own; get_catalogs_containing caches per run.
        return self.inner.get_catalogs_holding_any(enterprise_customer_uuid, content_keys, deadline=deadline)

    def get_catalogs_containing(
        self, enterprise_customer_uuid: Any, course_run_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, tuple[str, ...]]:
        keys = list(dict.fromkeys(key for key in course_run_keys if key))
        scope = (str(enterprise_customer_uuid),)
        hits, missing = self._cached("catalogs", scope, keys)
        if missing:
            # A run known to be in none of the customer's catalogs is in none of them: nothing to ask.
            members, _ = self._cached("member", (*scope, "*"), missing)
            hits.update({key: () for key, member in members.items() if not member})
            missing = [key for key in missing if members.get(key, True)]
        if missing:
            fetched = self.inner.get_catalogs_containing(enterprise_customer_uuid, missing, deadline=deadline)
            fetched = {key: tuple(fetched.get(key, ())) for key in missing}
            # The lists answer the membership question too (a run is a member when a list names a catalog).
            self._store_kinds([
                ("catalogs", scope, fetched),
                ("member", (*scope, "*"), {key: bool(catalogs) for key, catalogs in fetched.items()}),
            ])
            hits.update(fetched)
        return {key: tuple(hits[key]) for key in keys}


def _is_well_formed(content_key: str) -> bool:
    try:
        content_type_for_key(content_key)
    except MalformedKey:
        return False
    return True


# --- compact resolutions -----------------------------------------------------------------------------
# A resolved key is stored as ("run", course key, run key, enrollable, seat modes, metadata), an unresolved one
# as ("none", reason, message). The best mode is stored; MODE_PRIORITY is part of the batch's key.


def _compact(resolution: Resolution) -> tuple:
    run = resolution.run
    if run is None:
        return ("none", str(resolution.reason or Reason.UNKNOWN_CONTENT), resolution.message)
    return ("run", run.course_key, run.course_run_key, run.is_enrollable, run.best_mode, run.seat_modes,
            dict(run.normalized_metadata))


def _expand(content_key: str, entry: tuple) -> Resolution:
    if entry[0] == "none":
        return Resolution(content_key, reason=Reason(entry[1]), message=entry[2])
    _, course_key, course_run_key, is_enrollable, mode, seat_modes, metadata = entry
    return Resolution(content_key, run=ResolvedRun(
        course_key=course_key,
        course_run_key=course_run_key,
        is_enrollable=is_enrollable,
        best_mode=mode,
        seat_modes=seat_modes,
        normalized_metadata=metadata,
    ))
