"""
The license-manager client: one learner's subscription licenses for one customer, bounded, cached, distrustful.

license-manager lets a staff service user look a learner's licenses up by email and customer
(``GET admin-license-view/?user_email=&enterprise_customer_uuid=``, ``IsAdminUser``); each license comes with its
plan (active, current, expiration, catalog). The learner-scoped endpoints read the learner from the caller's own
JWT and cannot answer for a backend service (docs/decisions/0017).

Every exchange (the OAuth2 token too, shared with the catalog client) ends within ``LICENSE_MANAGER_TIMEOUT``
seconds or the caller's deadline, whichever comes first, and reads at most ``LICENSE_MAX_RESPONSE_BYTES``
(``catalog.http``). The email goes out in the query string only: it is never in a log line, a message, an error
(no chained exception carries the URL) or a cache key.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import caches
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from default_enrollments.catalog.client import BoundedOAuthAPIClient, provider_root
from default_enrollments.catalog.http import RetryableFailure, exchange, same_origin
from default_enrollments.conf import app_settings
from default_enrollments.exceptions import (
    CatalogError,
    CatalogResponseError,
    LicenseManagerError,
    LicenseManagerResponseError,
    LicenseManagerUnavailable,
)

logger = logging.getLogger(__name__)

ACTIVATED = "activated"
ASSIGNED = "assigned"
LICENSE_STATUSES = frozenset({ACTIVATED, ASSIGNED, "unassigned", "revoked"})
RETRY_STATUSES = frozenset({502, 503, 504})
RETRIES = 1  # one more attempt when nothing of an answer arrived, or on 502/503/504
BACKOFF_SECONDS = 0.1
# license-manager pages by 100; one learner holds a few licenses per customer: a long chain is an error.
MAX_PAGES = 5
CACHE_VERSION = 1
LOOKUP = "admin-license-view"

_EMAIL_IN_QUERY = re.compile(r"(user_email=)[^&\s\"']*", re.IGNORECASE)


class _RedactEmail(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG: the learner's email leaves it there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and any(isinstance(arg, str) and "user_email=" in arg.lower() for arg in record.args):
            record.args = tuple(
                _EMAIL_IN_QUERY.sub(r"\1<redacted>", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def _install_redaction() -> None:
    target = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(existing, _RedactEmail) for existing in target.filters):
        target.addFilter(_RedactEmail())


_install_redaction()


@dataclass(frozen=True)
class SubscriptionLicense:
    """One license as license-manager describes it, with what the policy needs of its plan."""

    uuid: uuid.UUID
    status: str
    plan_uuid: uuid.UUID | None
    catalog_uuid: uuid.UUID | None
    plan_is_active: bool
    plan_is_current: bool
    expiration: datetime | None

    @property
    def plan_is_live(self) -> bool:
        """The plan is active, current by license-manager's word, and not expired by the clock now."""
        return (
            self.plan_is_active and self.plan_is_current and self.expiration is not None
            and self.expiration >= timezone.now()
        )

    @property
    def is_usable(self) -> bool:
        """Pays for a seat: activated, on a live plan with a catalog."""
        return self.status == ACTIVATED and self.plan_is_live and self.catalog_uuid is not None


def get_licenses(
    user_id: Any, email: str, enterprise_customer_uuid: Any, *, deadline: float | None = None
) -> tuple[SubscriptionLicense, ...]:
    """The learner's licenses for the customer (cached); raises ``LicenseManagerError`` when they cannot be known."""
    return LicenseManagerClient().get_licenses(user_id, email, enterprise_customer_uuid, deadline=deadline)


class LicenseManagerClient:
    """Talks to license-manager's ``/api/v1/`` with the host's backend-service OAuth2 credentials."""

    def __init__(self, api_url: str | None = None) -> None:
        self.api_url = api_url or app_settings.LICENSE_MANAGER_API_URL
        provider_url, client_id, client_secret = (
            app_settings.OAUTH2_PROVIDER_URL, app_settings.OAUTH2_CLIENT_ID, app_settings.OAUTH2_CLIENT_SECRET
        )
        missing = [
            name for name, value in (
                ("LICENSE_MANAGER_API_URL (or the LMS's LICENSE_MANAGER_URL)", self.api_url),
                ("OAUTH2_PROVIDER_URL", provider_url),
                ("OAUTH2_CLIENT_ID", client_id),
                ("OAUTH2_CLIENT_SECRET", client_secret),
            ) if not value
        ]
        self._configuration_problem = (
            f"The license-manager client is not configured: DEFAULT_ENROLLMENTS lacks {', '.join(missing)}."
            if missing else ""
        )
        self.api_url = (self.api_url or "").rstrip("/") + "/"
        self._credentials = (provider_root(provider_url), client_id, client_secret) if not missing else None
        self._http: BoundedOAuthAPIClient | None = None

    # --- the interface -------------------------------------------------------------------------

    def get_licenses(
        self, user_id: Any, email: str, enterprise_customer_uuid: Any, *, deadline: float | None = None
    ) -> tuple[SubscriptionLicense, ...]:
        """
        Every license of ``email`` under the customer's subscription plans, whatever its status.

        A learner without an email cannot hold a license (licenses are assigned to emails): none, no request.
        Answers are cached under a hash of the service, customer, user id and email; failures are not cached.
        """
        if not email:
            return ()
        cache = caches[app_settings.CACHE_ALIAS]
        key = self._cache_key(user_id, email, enterprise_customer_uuid)
        cached = cache.get(key)
        if cached is not None:
            return tuple(_expand(entry) for entry in cached)
        deadline = _call_deadline(deadline)
        params = {"user_email": email, "enterprise_customer_uuid": str(enterprise_customer_uuid)}
        licenses = self._fetch(params, str(enterprise_customer_uuid), deadline, user_id)
        cache.set(key, [_compact(item) for item in licenses], timeout=app_settings.LICENSE_CACHE_TIMEOUT)
        return licenses

    # --- HTTP ----------------------------------------------------------------------------------

    def _cache_key(self, user_id: Any, email: str, enterprise_customer_uuid: Any) -> str:
        parts = (self.api_url, str(enterprise_customer_uuid).lower(), str(user_id), email.strip().lower())
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
        return f"default_enrollments:licenses:v{CACHE_VERSION}:{digest}"

    def _fetch(
        self, params: dict[str, str], customer: str, deadline: float, user_id: Any
    ) -> tuple[SubscriptionLicense, ...]:
        """Every page of the lookup; a ``next`` link off license-manager's origin refuses the whole answer."""
        url: str = self.api_url + f"{LOOKUP}/"
        query: dict[str, str] | None = params
        licenses: list[SubscriptionLicense] = []
        for page in range(1, MAX_PAGES + 1):
            payload = self._request(url, deadline, f"license-manager {LOOKUP} page {page}", user_id, params=query)
            results = payload.get("results") if isinstance(payload, Mapping) else None
            if not isinstance(results, list):
                raise LicenseManagerResponseError(f"license-manager {LOOKUP} answered without a list of results.")
            licenses.extend(item for item in (_parse_license(entry, customer) for entry in results) if item)
            next_url = payload.get("next")
            if not isinstance(next_url, str) or not next_url:
                return tuple(dict.fromkeys(licenses))
            if not same_origin(next_url, self.api_url):
                raise LicenseManagerResponseError(f"license-manager {LOOKUP} linked its next page off its origin.")
            if not results:
                raise LicenseManagerResponseError(f"license-manager {LOOKUP} answered an empty page with a next link.")
            url, query = _without_fragment(next_url), None  # the next link carries the query
        raise LicenseManagerResponseError(f"license-manager {LOOKUP} kept paginating past {MAX_PAGES} pages.")

    def _request(self, url: str, deadline: float, what: str, user_id: Any, **kwargs: Any) -> Any:
        """One GET, retried once when nothing arrived or on 502/503/504; the decoded JSON or ``LicenseManagerError``."""
        if self._credentials is None:
            raise LicenseManagerUnavailable(self._configuration_problem)
        for attempt in range(1, RETRIES + 2):
            try:
                return self._attempt(url, deadline, what, **kwargs)
            except RetryableFailure as exc:
                logger.warning("license_manager_request_failed user=%s request=%r attempt=%s problem=%s",
                               user_id, what, attempt, exc)
                pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt > RETRIES or deadline - time.monotonic() <= pause:
                    raise LicenseManagerUnavailable(f"{what} failed: {exc}") from None
                time.sleep(pause)
            except CatalogResponseError as exc:  # the body cap of ``exchange``
                raise LicenseManagerResponseError(str(exc)) from None
            except CatalogError as exc:  # the token, or a timeout
                raise LicenseManagerUnavailable(str(exc)) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, url: str, deadline: float, what: str, **kwargs: Any) -> Any:
        if self._http is None:
            self._http = BoundedOAuthAPIClient(*self._credentials)
        self._http.authenticate(deadline)
        answer = exchange(
            self._http, "GET", url, deadline=_exchange_deadline(deadline), max_bytes=_max_bytes(), what=what, **kwargs
        )
        if answer.status in RETRY_STATUSES:
            raise RetryableFailure(f"{what} answered {answer.status}.")
        if answer.status >= 400:
            # 401/403: the service user is not staff in license-manager; 5xx/429: the service is in trouble.
            raise LicenseManagerUnavailable(f"{what} answered {answer.status}.")
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError):
            raise LicenseManagerResponseError(f"{what} answered {answer.status} with something that is not JSON.") \
                from None


def _call_deadline(deadline: float | None) -> float:
    """The caller's deadline, or room for both attempts when the caller set none (admin, API)."""
    if deadline is not None:
        return deadline
    return time.monotonic() + float(app_settings.LICENSE_MANAGER_TIMEOUT) * (1 + RETRIES)


def _exchange_deadline(deadline: float) -> float:
    return min(deadline, time.monotonic() + float(app_settings.LICENSE_MANAGER_TIMEOUT))


def _max_bytes() -> int:
    return max(1, int(app_settings.LICENSE_MAX_RESPONSE_BYTES))


def _without_fragment(url: str) -> str:
    return urlsplit(url)._replace(fragment="").geturl()


# --- the answer, read as hostile -------------------------------------------------------------------


def _parse_license(entry: Any, customer: str) -> SubscriptionLicense | None:
    """
    One license of the answer, or None when it cannot count: not an object, no UUID, an unknown status, or a plan
    that is not the asked customer's. Fields of the wrong type are absent, and an absent flag is false.
    """
    if not isinstance(entry, Mapping):
        return None
    license_uuid = _uuid(entry.get("uuid"))
    status = entry.get("status")
    plan = entry.get("subscription_plan")
    if license_uuid is None or status not in LICENSE_STATUSES or not isinstance(plan, Mapping):
        return None
    plan_customer = _uuid(plan.get("enterprise_customer_uuid"))
    if plan_customer is None or str(plan_customer) != str(_uuid(customer)):
        return None
    return SubscriptionLicense(
        uuid=license_uuid,
        status=status,
        plan_uuid=_uuid(plan.get("uuid")),
        catalog_uuid=_uuid(plan.get("enterprise_catalog_uuid")),
        plan_is_active=plan.get("is_active") is True,
        plan_is_current=plan.get("is_current") is True,
        expiration=_datetime(plan.get("expiration_date")),
    )


def _uuid(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    """An ISO 8601 date-time (naive ones are UTC), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _compact(item: SubscriptionLicense) -> tuple:
    return (str(item.uuid), item.status, item.plan_uuid and str(item.plan_uuid),
            item.catalog_uuid and str(item.catalog_uuid), item.plan_is_active, item.plan_is_current,
            item.expiration and item.expiration.isoformat())


def _expand(entry: tuple) -> SubscriptionLicense:
    license_uuid, status, plan_uuid, catalog_uuid, is_active, is_current, expiration = entry
    return SubscriptionLicense(
        uuid=uuid.UUID(license_uuid), status=status, plan_uuid=plan_uuid and uuid.UUID(plan_uuid),
        catalog_uuid=catalog_uuid and uuid.UUID(catalog_uuid), plan_is_active=is_active, plan_is_current=is_current,
        expiration=expiration and datetime.fromisoformat(expiration),
    )


__all__ = ["LicenseManagerClient", "LicenseManagerError", "SubscriptionLicense", "get_licenses"]
