"""
The enterprise-catalog HTTP client: OAuth2 client credentials (JWT) through edx-rest-api-client.

Bounded and honest: every exchange (the token request too) ends within ``CATALOG_TIMEOUT`` seconds of wall
clock or what is left of the caller's deadline, connect, headers and body together, and reads at most
``CATALOG_MAX_RESPONSE_BYTES``; a call without a deadline gets ``CATALOG_CALL_TIMEOUT``. Only idempotent
GETs are retried, and only when nothing of an answer arrived or on 502/503/504. ``next`` links are followed
only on the configured catalog's origin. An answer of the wrong shape is an error, never an empty result;
a document of the wrong shape inside an answer is absent, and costs only the keys that name it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests
from edx_django_utils.cache import TieredCache
from edx_rest_api_client.client import OAuthAPIClient

from default_enrollments.catalog.base import CatalogClient, call_deadline
from default_enrollments.catalog.http import Answer, RetryableFailure, exchange, mount_watched_adapter, same_origin
from default_enrollments.conf import app_settings
from default_enrollments.exceptions import CatalogResponseError, CatalogUnavailable
from default_enrollments.keys import course_key_for_run

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_SECONDS = 0.1  # doubled on each retry
# A batch asks for at most 2 × CATALOG_PAGE_SIZE identifiers, a page or two at the service's page size: a
# longer ``next`` chain is an error, not a loop.
MAX_PAGES = 10
TOKEN_EXPIRY_MARGIN = 60  # seconds: a token this close to its expiry is fetched anew
MAX_TOKEN_LIFETIME = 24 * 3600  # a provider's "expires_in" beyond this is not believed


def _exchange_deadline(deadline: float) -> float:
    """One exchange ends within ``CATALOG_TIMEOUT`` seconds, and never after the call's deadline."""
    return min(deadline, time.monotonic() + float(app_settings.CATALOG_TIMEOUT))


def _max_bytes() -> int:
    return max(1, int(app_settings.CATALOG_MAX_RESPONSE_BYTES))


class BoundedOAuthAPIClient(OAuthAPIClient):
    """
    ``OAuthAPIClient`` whose token request is a bounded exchange.

    The library fetches tokens with a plain ``requests.post``, bounded per socket read only; here the token
    comes from one watched exchange (deadline and size cap) and is cached in the ``TieredCache`` as the
    library would, under a key of this app's.
    """

    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        super().__init__(base_url, client_id, client_secret)
        mount_watched_adapter(self)
        self._token_session: requests.Session | None = None  # made on the first token request
        self._token_url = base_url.rstrip("/") + "/oauth2/access_token"
        digest = hashlib.sha256(f"{client_id}\x1f{self._token_url}".encode()).hexdigest()[:40]
        self._token_cache_key = f"default_enrollments:catalog:token:{digest}"
        self._deadline: float | None = None

    def close(self) -> None:
        if self._token_session is not None:
            self._token_session.close()
        super().close()

    def authenticate(self, deadline: float) -> None:
        """Hold a valid token, fetching one within ``deadline`` when none is cached."""
        self._deadline = deadline
        self._ensure_authentication()

    def _ensure_authentication(self) -> None:
        cached = TieredCache.get_cached_response(self._token_cache_key)
        if cached.is_found:
            self.auth.token = cached.value
            return
        deadline = self._deadline if self._deadline is not None else call_deadline(None)
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "token_type": "jwt",
        }
        if self._token_session is None:
            self._token_session = requests.Session()
            mount_watched_adapter(self._token_session)
        answer = exchange(
            self._token_session, "POST", self._token_url, deadline=_exchange_deadline(deadline),
            max_bytes=_max_bytes(), what="The OAuth2 token request", data=form,
        )
        token, expires_in = _read_token(answer)
        if expires_in > TOKEN_EXPIRY_MARGIN:
            TieredCache.set_all_tiers(self._token_cache_key, token, int(expires_in) - TOKEN_EXPIRY_MARGIN)
        self.auth.token = token


def _read_token(answer: Answer) -> tuple[str, float]:
    """The access token and its lifetime in seconds from the provider's answer, or ``CatalogUnavailable``."""
    if answer.status >= 400:
        raise CatalogUnavailable(f"No access token from the OAuth2 provider (status {answer.status}).")
    try:
        payload = json.loads(answer.body)
    except (ValueError, RecursionError):
        payload = None
    token = payload.get("access_token") if isinstance(payload, dict) else None
    expires_in = payload.get("expires_in") if isinstance(payload, dict) else None
    lifetime_ok = isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and math.isfinite(expires_in)
    if not isinstance(token, str) or not token or not lifetime_ok:
        raise CatalogUnavailable(f"No access token from the OAuth2 provider (status {answer.status}): malformed.")
    return token, min(float(expires_in), MAX_TOKEN_LIFETIME)


def provider_root(url: str) -> str:
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
        self._credentials = (provider_root(provider_url), client_id, client_secret) if not missing else None
        self._http: BoundedOAuthAPIClient | None = None

    @property
    def _session(self) -> BoundedOAuthAPIClient | None:
        """The HTTP session, made on the first request: a call answered from the cache needs none."""
        if self._http is None and self._credentials is not None:
            self._http = BoundedOAuthAPIClient(*self._credentials)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # --- the interface -------------------------------------------------------------------------

    def get_course_documents(
        self, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> dict[str, dict | None]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        if not keys:
            return {}
        deadline = call_deadline(deadline)
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
        payload = self._request("POST", url, call_deadline(deadline), "filter_content_items", json=body)
        filtered = payload.get("filtered_content_keys") if isinstance(payload, Mapping) else None
        if not isinstance(filtered, list):
            raise CatalogResponseError("filter_content_items answered without a list of filtered_content_keys.")
        wanted = {key.lower(): key for key in keys}
        return {wanted[key.lower()] for key in filtered if isinstance(key, str) and key.lower() in wanted}

    def get_catalogs_holding_any(
        self, enterprise_customer_uuid: Any, content_keys: Sequence[str], *, deadline: float | None = None
    ) -> tuple[str, ...]:
        keys = list(dict.fromkeys(key for key in content_keys if key))
        if not keys:
            return ()
        url = self._url(f"enterprise-customer/{quote(str(enterprise_customer_uuid), safe='')}/contains_content_items/")
        params = {"course_run_ids": keys, "get_catalogs_containing_specified_content_ids": "true"}
        payload = self._request("GET", url, call_deadline(deadline), "contains_content_items", params=params)
        if not isinstance(payload, Mapping) or not isinstance(payload.get("contains_content_items"), bool):
            raise CatalogResponseError("contains_content_items answered without contains_content_items.")
        if not payload["contains_content_items"]:
            # A catalog list contradicting "no" counts for nothing: for one key, the list is taken as its catalogs.
            return ()
        catalog_list = payload.get("catalog_list")
        if not isinstance(catalog_list, list):
            raise CatalogResponseError("contains_content_items answered without a catalog_list.")
        # Catalog ids are UUIDs; anything else in the list is absent (each one would cost a request).
        return tuple(dict.fromkeys(str(uuid.UUID(item)) for item in catalog_list if _is_uuid(item)))

    # --- HTTP ----------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.api_url + path

    def _on_catalog_origin(self, url: str) -> bool:
        """Whether ``url`` has the configured catalog's scheme, host and port (and no credentials of its own)."""
        return same_origin(url, self.api_url)

    def _fetch_documents(self, keys: list[str], deadline: float) -> list[dict]:
        """
        One batch request (following ``next``) for the parent course documents of ``keys``.

        Run keys bring their course key along, so a run missing from a known course is reported as
        such rather than as unknown content. A ``next`` link off the catalog's origin would carry the
        service token elsewhere: the whole answer is refused instead.
        """
        parents = (course_key_for_run(key) for key in keys)
        identifiers = list(dict.fromkeys([*keys, *(parent for parent in parents if parent)]))
        url = self._url("content-metadata/")
        params: dict[str, Any] | None = {
            "content_identifiers": identifiers,
            "coerce_to_parent_course": "true",
            "page_size": max(1, int(app_settings.CATALOG_PAGE_SIZE)),
        }
        documents: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            payload = self._request("GET", url, deadline, f"content-metadata page {page}", params=params)
            results = payload.get("results") if isinstance(payload, Mapping) else None
            if not isinstance(results, list):
                raise CatalogResponseError("content-metadata answered without a list of results.")
            documents.extend(document for document in results if _is_course_document(document))
            next_url = payload.get("next")
            if not isinstance(next_url, str) or not next_url:  # the last page (a next of the wrong type is absent)
                return documents
            if not self._on_catalog_origin(next_url):
                logger.warning("catalog_next_link_refused page=%s content_keys=%s", page, len(keys))
                raise CatalogResponseError("content-metadata answered with a next link off the catalog's origin.")
            if not results:
                raise CatalogResponseError("content-metadata answered an empty page with a next link.")
            url, params = next_url, None  # the next link carries the query
        raise CatalogResponseError(f"content-metadata kept paginating past {MAX_PAGES} pages.")

    def _request(self, method: str, url: str, deadline: float, what: str, **kwargs: Any) -> Any:
        """One call, with retries for idempotent GETs; returns the decoded JSON or raises a ``CatalogError``."""
        if self._credentials is None:
            raise CatalogUnavailable(self._configuration_problem)
        attempts = 1 + (max(0, int(app_settings.CATALOG_RETRIES)) if method == "GET" else 0)
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(method, url, deadline, what, **kwargs)
            except RetryableFailure as exc:
                self._log_failure(what, attempt, exc)
                if attempt == attempts:
                    if attempts == 1:
                        raise CatalogUnavailable(str(exc)) from exc
                    raise CatalogUnavailable(f"{what} failed after {attempts} attempts: {exc}") from exc
                pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
                if deadline - time.monotonic() <= pause:
                    raise CatalogUnavailable(f"{what} failed and no time is left to try again: {exc}") from exc
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, url: str, deadline: float, what: str, **kwargs: Any) -> Any:
        self._session.authenticate(deadline)
        answer = exchange(
            self._session, method, url, deadline=_exchange_deadline(deadline), max_bytes=_max_bytes(), what=what,
            **kwargs,
        )
        status = answer.status
        if status in RETRY_STATUSES:
            raise RetryableFailure(f"{what} answered {status}.")
        if status >= 500 or status == 429:
            self._log_failure(what, 1, f"status {status}")
            raise CatalogUnavailable(f"{what} answered {status}.")
        if status >= 400:
            raise CatalogResponseError(f"{what} answered {status} ({len(answer.body)} bytes).")
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError) as exc:
            raise CatalogResponseError(f"{what} answered {status} with something that is not JSON.") from exc

    @staticmethod
    def _log_failure(what: str, attempt: int, problem: Any) -> None:
        logger.warning("catalog_request_failed request=%r attempt=%s problem=%s", what, attempt, problem)


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_course_document(document: Any) -> bool:
    """A document the app can match to a key; one of another shape is absent (its keys are unknown content)."""
    return isinstance(document, Mapping) and isinstance(document.get("key"), str)


def _match_documents(keys: Sequence[str], documents: Sequence[Mapping]) -> dict[str, dict | None]:
    """Pair each requested key with its course document: by course key, by run key, or by the run key's parent."""
    by_key: dict[str, dict] = {}
    for document in documents:
        by_key.setdefault(document["key"].lower(), dict(document))
    by_run: dict[str, dict] = {}
    for document in by_key.values():
        runs = document.get("course_runs")
        for run in runs if isinstance(runs, list) else ():
            if isinstance(run, Mapping) and isinstance(run.get("key"), str):
                by_run.setdefault(run["key"].lower(), document)
    matched: dict[str, dict | None] = {}
    for key in keys:
        lowered = key.lower()
        parent = course_key_for_run(key)
        matched[key] = by_key.get(lowered) or by_run.get(lowered) or (by_key.get(parent.lower()) if parent else None)
    return matched
