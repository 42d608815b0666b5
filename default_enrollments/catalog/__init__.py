"""
Catalog access: ``get_catalog()`` is the configured client (``CATALOG_CLIENT``) behind the cache.

Callers use only the ``CatalogClient`` interface; resolution of documents into runs is in ``resolution``.
"""
from __future__ import annotations

from default_enrollments.catalog.base import CatalogClient
from default_enrollments.catalog.cache import CachedCatalogClient
from default_enrollments.conf import app_settings


def get_catalog() -> CachedCatalogClient:
    """The configured catalog client, wrapped in the Django-cache layer (which adds ``get_resolutions``)."""
    client_class = app_settings.CATALOG_CLIENT
    client = client_class() if isinstance(client_class, type) else client_class
    if isinstance(client, CachedCatalogClient):
        return client
    return CachedCatalogClient(client)


__all__ = ["CatalogClient", "get_catalog"]
