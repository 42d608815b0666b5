"""
Catalog access: ``get_catalog()`` is the configured client (``CATALOG_CLIENT``) behind the cache.

Callers use only the ``CatalogClient`` interface; resolution of documents into runs is in ``resolution``.
Inside ``one_client()`` every ``get_catalog()`` of the thread answers the same client, so the catalog calls of
one operation (a learner-status, an API page) share one HTTP session and its kept-alive connection.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from default_enrollments.catalog.base import CatalogClient
from default_enrollments.catalog.cache import CachedCatalogClient
from default_enrollments.conf import app_settings

_operation = threading.local()


def get_catalog() -> CachedCatalogClient:
    """The configured catalog client, wrapped in the Django-cache layer (which adds ``get_resolutions``)."""
    shared = getattr(_operation, "client", None)
    if shared is not None:
        return shared
    return _configured_client()[0]


def _configured_client() -> tuple[CachedCatalogClient, bool]:
    """The configured client behind the cache, and whether it was made here (a configured instance is not)."""
    client_class = app_settings.CATALOG_CLIENT
    made = isinstance(client_class, type)
    client = client_class() if made else client_class
    if isinstance(client, CachedCatalogClient):
        return client, made
    return CachedCatalogClient(client), made


@contextlib.contextmanager
def one_client() -> Iterator[CachedCatalogClient]:
    """
    One catalog client for the calls of one operation, closed at its end (nested blocks share the outer one).

    A new client per call would open a new connection per call. The client lives no longer than the block,
    so a connection is never kept idle between operations, where the service may close it under a request.
    """
    shared = getattr(_operation, "client", None)
    if shared is not None:
        yield shared
        return
    client, made = _configured_client()
    _operation.client = client
    try:
        yield client
    finally:
        _operation.client = None
        if made:
            client.close()


__all__ = ["CatalogClient", "get_catalog", "one_client"]
