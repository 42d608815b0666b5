"""
A catalog read from a JSON file (``CATALOG_FIXTURE``): the same document shapes, no network.

For the demo and for hosts without an enterprise-catalog service. The file::

    {"courses": [<course documents>],
     "catalogs": {"<customer uuid, or * for every customer>": {"<catalog uuid>": ["<course or run key>", ...]}}}

A course key in a catalog holds all of that course's runs, as in enterprise-catalog.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from default_enrollments.catalog.base import CatalogClient
from default_enrollments.conf import app_settings
from default_enrollments.keys import course_key_for_run

_parsed: dict[tuple[str, float], _Fixture] = {}
_parsed_lock = threading.Lock()


class _Fixture:
    """The parsed file, indexed by lower-cased course key and run key."""

    def __init__(self, path: str, data: Any) -> None:
        def problem(what: str) -> ImproperlyConfigured:
            return ImproperlyConfigured(f"DEFAULT_ENROLLMENTS['CATALOG_FIXTURE'] {path}: {what}")

        if not isinstance(data, Mapping):
            raise problem('the top level must be an object with "courses" and "catalogs"')
        courses = data.get("courses", [])
        catalogs = data.get("catalogs", {})
        if not isinstance(courses, list):
            raise problem('"courses" must be a list of course documents')
        self.by_course: dict[str, dict] = {}
        self.by_run: dict[str, dict] = {}
        for index, document in enumerate(courses):
            if not isinstance(document, Mapping) or not isinstance(document.get("key"), str):
                raise problem(f'courses[{index}] is not a course document with a "key"')
            runs = document.get("course_runs", [])
            if not isinstance(runs, list) or not all(
                isinstance(run, Mapping) and isinstance(run.get("key"), str) for run in runs
            ):
                raise problem(f'courses[{index}] ({document["key"]}): "course_runs" must be a list of runs with keys')
            self.by_course[document["key"].lower()] = dict(document)
            for run in runs:
                self.by_run[run["key"].lower()] = self.by_course[document["key"].lower()]
        if not isinstance(catalogs, Mapping):
            raise problem('"catalogs" must map customer uuids (or "*") to catalogs')
        self.catalogs: dict[str, dict[str, frozenset[str]]] = {}
        for customer, customer_catalogs in catalogs.items():
            if not isinstance(customer_catalogs, Mapping) or not all(
                isinstance(keys, list) and all(isinstance(key, str) for key in keys)
                for keys in customer_catalogs.values()
            ):
                raise problem(f'catalogs[{customer!r}] must map catalog uuids to lists of content keys')
            self.catalogs[str(customer).lower()] = {
                str(catalog_uuid): frozenset(key.lower() for key in keys)
                for catalog_uuid, keys in customer_catalogs.items()
            }

    def document(self, content_key: str) -> dict | None:
        lowered = content_key.lower()
        parent = course_key_for_run(content_key)
        return (
            self.by_course.get(lowered)
            or self.by_run.get(lowered)
            or (self.by_course.get(parent.lower()) if parent else None)
        )

    def customer_catalogs(self, customer_uuid: Any) -> dict[str, frozenset[str]]:
        return {**self.catalogs.get("*", {}), **self.catalogs.get(str(customer_uuid).lower(), {})}

    def holds(self, members: frozenset[str], content_key: str) -> bool:
        if content_key.lower() in members:
            return True
        document = self.document(content_key)
        course_key = document["key"] if document else course_key_for_run(content_key)
        return bool(course_key) and course_key.lower() in members


def _load(path: str) -> _Fixture:
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise ImproperlyConfigured(f"DEFAULT_ENROLLMENTS['CATALOG_FIXTURE'] {path} cannot be read: {exc}") from exc
    with _parsed_lock:
        cached = _parsed.get((path, mtime))
    if cached is not None:
        return cached
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"DEFAULT_ENROLLMENTS['CATALOG_FIXTURE'] {path} is not a readable JSON file: {exc}"
        ) from exc
    fixture = _Fixture(path, data)
    with _parsed_lock:
        _parsed[(path, mtime)] = fixture
    return fixture


class StaticCatalogClient(CatalogClient):
    """The ``CatalogClient`` interface over a JSON fixture; ``deadline`` is accepted and never needed."""

    def __init__(self, fixture_path: str | None = None) -> None:
        path = fixture_path or app_settings.CATALOG_FIXTURE
        if not path:
            raise ImproperlyConfigured(
                "DEFAULT_ENROLLMENTS['CATALOG_FIXTURE'] must name a JSON file for the static catalog client."
            )
        self.fixture_path = os.path.abspath(os.fspath(path))
        self.cache_namespace = f"static:{self.fixture_path}"
        self._fixture = _load(self.fixture_path)

    def get_course_documents(
        self, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, dict | None]:
        return {key: self._fixture.document(key) for key in dict.fromkeys(content_keys) if key}

    def filter_content_items(
        self,
        enterprise_customer_uuid: Any,
        content_keys: Sequence[str],
        catalog_uuids: Sequence[Any] | None = None,
        *,
        deadline: float | None = None,
    ) -> set[str]:
        catalogs = self._fixture.customer_catalogs(enterprise_customer_uuid)
        if catalog_uuids:
            named = {str(uuid) for uuid in catalog_uuids}
            catalogs = {uuid: members for uuid, members in catalogs.items() if uuid in named}
        return {
            key for key in content_keys
            if key and any(self._fixture.holds(members, key) for members in catalogs.values())
        }

    def get_catalogs_holding_any(
        self, enterprise_customer_uuid: Any, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> tuple[str, ...]:
        catalogs = self._fixture.customer_catalogs(enterprise_customer_uuid)
        return tuple(
            sorted(
                uuid for uuid, members in catalogs.items()
                if any(key and self._fixture.holds(members, key) for key in content_keys)
            )
        )
