"""
The catalog-client interface: the only catalog surface realization, the admin and the API call.

Every method is batched (many keys, one or a few requests) and bounded: ``deadline`` is an absolute
``time.monotonic()`` value, so a login can spend a fixed budget across several calls.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from default_enrollments.conf import app_settings


def call_deadline(deadline: float | None) -> float:
    """
    The deadline of one catalog call: the caller's, or ``CATALOG_CALL_TIMEOUT`` seconds from now.

    The admin, the API and the commands set no deadline of their own; their calls are bounded all the same
    (by default ``CATALOG_TIMEOUT`` for each attempt ``CATALOG_RETRIES`` allows).
    """
    if deadline is not None:
        return deadline
    total = app_settings.CATALOG_CALL_TIMEOUT
    if total is None:
        total = float(app_settings.CATALOG_TIMEOUT) * (1 + max(0, int(app_settings.CATALOG_RETRIES)))
    return time.monotonic() + float(total)


class CatalogClient(ABC):
    """What the app needs from a catalog: course documents, membership, and per-run catalog lists."""

    #: Distinguishes cache entries of differently configured clients (another service, another fixture).
    cache_namespace: str = ""

    def close(self) -> None:  # noqa: B027 (optional: a client without connections has nothing to close)
        """Release the client's connections, if it holds any; it is not used afterwards."""

    @abstractmethod
    def get_course_documents(
        self, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, dict | None]:
        """Each requested key -> its parent course document (run keys lead to their course); None when unknown."""

    @abstractmethod
    def filter_content_items(
        self,
        enterprise_customer_uuid: Any,
        content_keys: Sequence[str],
        catalog_uuids: Sequence[Any] | None = None,
        *,
        deadline: float | None = None,
    ) -> set[str]:
        """The subset of ``content_keys`` in the customer's catalogs (only the named ones when given)."""

    @abstractmethod
    def get_catalogs_holding_any(
        self, enterprise_customer_uuid: Any, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> tuple[str, ...]:
        """The customer's catalogs that hold at least one of ``content_keys`` (one request)."""

    def get_catalogs_containing(
        self, enterprise_customer_uuid: Any, course_run_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, tuple[str, ...]]:
        """
        Per run key, the customer's catalogs that contain it.

        The catalog answers "any of these keys" per catalog, so: one question over all the runs names the
        candidate catalogs, then one membership question per candidate. 1 + (number of catalogs) requests,
        whatever the number of runs; one request when there is one run, for which "any" is "this one".
        """
        run_keys = list(dict.fromkeys(key for key in course_run_keys if key))
        result: dict[str, list[str]] = {key: [] for key in run_keys}
        if not run_keys:
            return {}
        deadline = call_deadline(deadline)  # one bound over the 1 + N requests
        candidates = self.get_catalogs_holding_any(enterprise_customer_uuid, run_keys, deadline=deadline)
        if len(run_keys) == 1:
            return {run_keys[0]: tuple(sorted(str(uuid) for uuid in candidates))}
        for catalog_uuid in sorted(str(uuid) for uuid in candidates):
            members = self.filter_content_items(enterprise_customer_uuid, run_keys, [catalog_uuid], deadline=deadline)
            for key in run_keys:
                if key in members:
                    result[key].append(catalog_uuid)
        return {key: tuple(catalogs) for key, catalogs in result.items()}
