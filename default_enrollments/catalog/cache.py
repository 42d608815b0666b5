"""
The Django-cache layer in front of any catalog client.

One entry per key, so one batch fills many entries and a warm lookup of many keys is one ``get_many``.
"Unknown content" is a real answer and is cached; failures raise through and leave nothing behind.
Bump ``CACHE_VERSION`` when the shape of a cached value changes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches

from default_enrollments.catalog.base import CatalogClient
from default_enrollments.conf import app_settings

CACHE_VERSION = 1
KEY_PREFIX = f"default_enrollments:catalog:v{CACHE_VERSION}"


class CachedCatalogClient(CatalogClient):
    """Answers from the Django cache (``CACHE_ALIAS``, ``CACHE_TIMEOUT``); asks ``inner`` only for misses."""

    def __init__(self, inner: CatalogClient) -> None:
        self.inner = inner
        self.cache_namespace = getattr(inner, "cache_namespace", "") or type(inner).__qualname__

    @property
    def _cache(self):
        return caches[app_settings.CACHE_ALIAS]

    def _key(self, kind: str, *parts: Any) -> str:
        # Content keys may hold characters memcached refuses and run up to 255 characters: hash them.
        digest = hashlib.sha256("\x1f".join([self.cache_namespace, *map(str, parts)]).encode()).hexdigest()[:40]
        return f"{KEY_PREFIX}:{kind}:{digest}"

    def _cached(self, kind: str, scope: tuple, keys: list[str]) -> tuple[dict[str, Any], list[str]]:
        """Cached values for ``keys`` (one round trip) and the keys still missing."""
        cache_keys = {key: self._key(kind, *scope, key.lower()) for key in keys}
        found = self._cache.get_many(list(cache_keys.values()))
        hits = {key: found[cache_key]["value"] for key, cache_key in cache_keys.items() if cache_key in found}
        return hits, [key for key in keys if key not in hits]

    def _store(self, kind: str, scope: tuple, values: dict[str, Any]) -> None:
        if values:
            entries = {self._key(kind, *scope, key.lower()): {"value": value} for key, value in values.items()}
            self._cache.set_many(entries, timeout=app_settings.CACHE_TIMEOUT)

    def get_course_documents(
        self, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, dict | None]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        hits, missing = self._cached("document", (), keys)
        if missing:
            fetched = self.inner.get_course_documents(missing, deadline=deadline)
            fetched = {key: fetched.get(key) for key in missing}
            self._store("document", (), fetched)
            hits.update(fetched)
        return {key: hits[key] for key in keys}

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
            fetched = self.inner.get_catalogs_containing(enterprise_customer_uuid, missing, deadline=deadline)
            fetched = {key: tuple(fetched.get(key, ())) for key in missing}
            self._store("catalogs", scope, fetched)
            hits.update(fetched)
        return {key: tuple(hits[key]) for key in keys}
