"""
The enterprise-catalog HTTP client: OAuth2 client credentials (JWT) through edx-rest-api-client.

Bounded and honest: every request (the token request too) has a timeout no longer than
``CATALOG_TIMEOUT`` or what is left of the caller's deadline; only idempotent GETs are retried, and
only on connection errors and 502/503/504; an answer of the wrong shape is an error, never an empty result.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests
from edx_rest_api_client.client import OAuthAPIClient

from default_enrollments.catalog.base import CatalogClient, request_timeout
from default_enrollments.conf import app_settings
from default_enrollments.exceptions import CatalogResponseError, CatalogUnavailable
from default_enrollments.keys import course_key_for_run

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_SECONDS = 0.1  # doubled on each retry
MAX_PAGES = 1000  # a runaway ``next`` chain is an error, not an endless loop


class _BoundedOAuthAPIClient(OAuthAPIClient):
    """``OAuthAPIClient`` whose token request obeys the same timeout as the request it precedes."""

    def authenticate(self, timeout: float) -> None:
        self._timeout = timeout
        self._ensure_authentication()


def _provider_root(url: str) -> str:
    """The library appends ``/oauth2/access_token`` itself; hosts configure the URL with or without ``/oauth2``."""
    root = url.rstrip("/")
    for suffix in ("/access_token", "/oauth2"):
        if root.endswith(suffix):
            root = root[: -len(suffix)]
    return root


class EnterpriseCatalogApiClient(CatalogClient):
    """Talks to enterprise-catalog's ``/api/v1/`` with the host's backend-service OAuth2 credentials."""

    def __init__(
        self,
        api_url: str | None = None,
        provider_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.api_url = api_url or app_settings.CATALOG_API_URL
        provider_url = provider_url or app_settings.OAUTH2_PROVIDER_URL
        client_id = client_id or app_settings.OAUTH2_CLIENT_ID
        client_secret = client_secret or app_settings.OAUTH2_CLIENT_SECRET
        missing = [
            name
            for name, value in (
                ("CATALOG_API_URL (or ENTERPRISE_CATALOG_INTERNAL_ROOT_URL)", self.api_url),
                ("OAUTH2_PROVIDER_URL", provider_url),
                ("OAUTH2_CLIENT_ID", client_id),
                ("OAUTH2_CLIENT_SECRET", client_secret),
            )
            if not value
        ]
        self._configuration_problem = (
            f"The enterprise-catalog client is not configured: DEFAULT_ENROLLMENTS lacks {', '.join(missing)}."
            if missing
            else ""
        )
        self.api_url = (self.api_url or "").rstrip("/") + "/"
        self.cache_namespace = self.api_url
        self._session = (
            _BoundedOAuthAPIClient(_provider_root(provider_url), client_id, client_secret) if not missing else None
        )

    # --- the interface -------------------------------------------------------------------------

    def get_course_documents(
        self, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, dict | None]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        if not keys:
            return {}
        documents: list[dict] = []
        chunk = max(1, int(app_settings.CATALOG_PAGE_SIZE))
        for start in range(0, len(keys), chunk):
            documents.extend(self._fetch_documents(keys[start:start + chunk], deadline))
        return _match_documents(keys, documents)

    def filter_content_items(
        self,
        enterprise_customer_uuid: Any,
        content_keys: Sequence[str],
        catalog_uuids: Sequence[Any] | None = None,
        *,
        deadline: float | None = None,
    ) -> set[str]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        if not keys:
            return set()
        body: dict[str, Any] = {"content_keys": keys}
        if catalog_uuids:
            body["catalog_uuids"] = [str(uuid) for uuid in catalog_uuids]
        url = self._url(f"enterprise-customer/{quote(str(enterprise_customer_uuid), safe='')}/filter_content_items/")
        payload = self._request("POST", url, deadline, json=body)
        filtered = payload.get("filtered_content_keys") if isinstance(payload, Mapping) else None
        if not isinstance(filtered, list) or not all(isinstance(key, str) for key in filtered):
            raise CatalogResponseError(f"filter_content_items answered without a list of filtered_content_keys: {url}")
        wanted = {key.lower(): key for key in keys}
        return {wanted[key.lower()] for key in filtered if key.lower() in wanted}

    def get_catalogs_holding_any(
        self, enterprise_customer_uuid: Any, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> tuple[str, ...]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        if not keys:
            return ()
        url = self._url(f"enterprise-customer/{quote(str(enterprise_customer_uuid), safe='')}/contains_content_items/")
        params = {"course_run_ids": keys, "get_catalogs_containing_specified_content_ids": "true"}
        payload = self._request("GET", url, deadline, params=params)
        if not isinstance(payload, Mapping) or not isinstance(payload.get("contains_content_items"), bool):
            raise CatalogResponseError(f"contains_content_items answered without contains_content_items: {url}")
        catalog_list = payload.get("catalog_list", [] if not payload["contains_content_items"] else None)
        if not isinstance(catalog_list, list) or not all(isinstance(uuid, str) for uuid in catalog_list):
            raise CatalogResponseError(f"contains_content_items answered without a catalog_list: {url}")
        return tuple(dict.fromkeys(catalog_list))

    # --- HTTP ----------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.api_url + path

    def _fetch_documents(self, keys: list[str], deadline: float | None) -> list[dict]:
        """
        One batch request (following ``next``) for the parent course documents of ``keys``.

        Run keys bring their course key along, so a run missing from a known course is reported as
        such rather than as unknown content.
        """
        parents = (course_key_for_run(key) for key in keys)
        identifiers = list(dict.fromkeys([*keys, *(parent for parent in parents if parent)]))
        url: str | None = self._url("content-metadata/")
        params: dict[str, Any] | None = {
            "content_identifiers": identifiers,
            "coerce_to_parent_course": "true",
            "page_size": max(1, int(app_settings.CATALOG_PAGE_SIZE)),
        }
        documents: list[dict] = []
        for _ in range(MAX_PAGES):
            payload = self._request("GET", url, deadline, params=params)
            results = payload.get("results") if isinstance(payload, Mapping) else None
            next_url = payload.get("next") if isinstance(payload, Mapping) else None
            if not isinstance(results, list) or not all(_is_course_document(doc) for doc in results):
                raise CatalogResponseError(f"content-metadata answered without a list of course documents: {url}")
            if next_url is not None and not isinstance(next_url, str):
                raise CatalogResponseError(f"content-metadata answered with a malformed next link: {url}")
            documents.extend(results)
            if not next_url:
                return documents
            url, params = next_url, None  # the next link carries the query
        raise CatalogResponseError(f"content-metadata kept paginating past {MAX_PAGES} pages: {url}")

    def _request(self, method: str, url: str, deadline: float | None, **kwargs: Any) -> Any:
        """One call, with retries for idempotent GETs; returns the decoded JSON or raises a ``CatalogError``."""
        if self._session is None:
            raise CatalogUnavailable(self._configuration_problem)
        attempts = 1 + (max(0, int(app_settings.CATALOG_RETRIES)) if method == "GET" else 0)
        for attempt in range(1, attempts + 1):
            retryable = self._attempt(method, url, deadline, attempt, attempts, **kwargs)
            if not isinstance(retryable, _Retry):
                return retryable
            pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
        raise CatalogUnavailable(f"{method} {url} failed after {attempts} attempts: {retryable.problem}")

    def _attempt(self, method: str, url: str, deadline: float | None, attempt: int, attempts: int, **kwargs: Any):
        last = attempt == attempts
        try:
            self._session.authenticate(request_timeout(deadline))
        except requests.Timeout as exc:
            raise CatalogUnavailable(f"The OAuth2 token request timed out: {exc}") from exc
        except requests.ConnectionError as exc:
            if not last:
                return _Retry(f"token request: {exc}")
            raise CatalogUnavailable(f"The OAuth2 provider refused the connection: {exc}") from exc
        except (requests.RequestException, ValueError, TypeError, KeyError) as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            raise CatalogUnavailable(f"No access token from the OAuth2 provider (status {status}): {exc}") from exc

        try:
            response = self._session.request(method, url, timeout=request_timeout(deadline), **kwargs)
        except requests.Timeout as exc:
            self._log_failure(method, url, attempt, f"timeout: {exc}")
            raise CatalogUnavailable(f"{method} {url} timed out: {exc}") from exc
        except requests.ConnectionError as exc:
            self._log_failure(method, url, attempt, f"connection error: {exc}")
            if not last:
                return _Retry(str(exc))
            raise CatalogUnavailable(f"{method} {url} could not connect: {exc}") from exc
        except requests.RequestException as exc:
            raise CatalogUnavailable(f"{method} {url} failed: {exc}") from exc

        status = response.status_code
        if status in RETRY_STATUSES and not last:
            self._log_failure(method, url, attempt, f"status {status}")
            return _Retry(f"status {status}")
        if status >= 500 or status == 429:
            self._log_failure(method, url, attempt, f"status {status}")
            raise CatalogUnavailable(f"{method} {url} answered {status}.")
        if status >= 400:
            raise CatalogResponseError(f"{method} {url} answered {status}: {response.text[:200]!r}")
        try:
            return response.json()
        except ValueError as exc:
            raise CatalogResponseError(
                f"{method} {url} answered {status} with something that is not JSON: {response.text[:200]!r}"
            ) from exc

    @staticmethod
    def _log_failure(method: str, url: str, attempt: int, problem: str) -> None:
        logger.warning(
            "catalog_request_failed method=%s url=%s attempt=%s problem=%s",
            method, url, attempt, problem,
            extra={"catalog_url": url, "attempt": attempt},
        )


class _Retry:
    def __init__(self, problem: str) -> None:
        self.problem = problem


def _is_course_document(document: Any) -> bool:
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("key"), str)
        and isinstance(document.get("course_runs", []), list)
    )


def _match_documents(keys: Sequence[str], documents: Sequence[Mapping]) -> dict[str, dict | None]:
    """Pair each requested key with its course document: by course key, by run key, or by the run key's parent."""
    by_key: dict[str, dict] = {}
    for document in documents:
        by_key.setdefault(document["key"].lower(), dict(document))
    by_run: dict[str, dict] = {}
    for document in by_key.values():
        for run in document.get("course_runs") or []:
            if isinstance(run, Mapping) and isinstance(run.get("key"), str):
                by_run.setdefault(run["key"].lower(), document)
    matched: dict[str, dict | None] = {}
    for key in keys:
        lowered = key.lower()
        parent = course_key_for_run(key)
        matched[key] = by_key.get(lowered) or by_run.get(lowered) or (by_key.get(parent.lower()) if parent else None)
    return matched
