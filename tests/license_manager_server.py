"""
A loopback license-manager for tests: real HTTP on 127.0.0.1 with the shape of its staff license lookup.

It serves ``GET /api/v1/admin-license-view/?user_email=&enterprise_customer_uuid=`` as license-manager does for
a staff user (paginated licenses, each with its subscription plan), checks the bearer token the loopback
catalog's OAuth2 endpoint hands out (the app uses one set of backend-service credentials for both services),
and has the catalog server's failure switches (status codes, garbage, hangs, drips, oversized answers, going
down). ``answer_raw`` replaces the results with anything, so tests can see how hostile answers are read.

Usage (the ``license_manager`` fixture in ``tests/licenses/conftest.py`` does the wiring)::

    server.add_license("learner@example.com", customer.uuid, catalog_uuid)              # activated, current
    server.add_license("learner@example.com", customer.uuid, catalog_uuid, status="assigned")
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.catalog_server import CatalogServer, _Handler

PAGE_SIZE = 100  # license-manager's REST_FRAMEWORK PAGE_SIZE


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def subscription_plan(
    customer_uuid: Any,
    catalog_uuid: Any,
    *,
    expired: bool = False,
    is_active: bool = True,
    **extra: Any,
) -> dict:
    """A plan as license-manager's ``MinimalSubscriptionPlanSerializer`` writes it (current unless ``expired``)."""
    now = datetime.now(UTC)
    start = now - timedelta(days=400 if expired else 30)
    end = now - timedelta(days=35) if expired else now + timedelta(days=335)
    return {
        "title": "Plan",
        "uuid": str(uuid.uuid4()),
        "start_date": _iso(start),
        "expiration_date": _iso(end),
        "enterprise_customer_uuid": str(customer_uuid),
        "enterprise_catalog_uuid": str(catalog_uuid),
        "is_active": is_active,
        "is_current": not expired,
        "is_revocation_cap_enabled": False,
        "days_until_expiration": (end - now).days,
        "days_until_expiration_including_renewals": (end - now).days,
        "is_locked_for_renewal_processing": False,
        "should_auto_apply_licenses": None,
        "created": _iso(start),
        "plan_type": "Standard Paid",
        **extra,
    }


@dataclass
class LicenseManagerServer(CatalogServer):
    """Licenses by email (lower-cased); the failure switches and request log are the catalog server's."""

    licenses: dict[str, list[dict]] = field(default_factory=dict)
    raw_results: Any = None  # when set, every page's ``results`` is this, whatever its shape
    page_size: int = PAGE_SIZE
    next_link: Any = None  # when set, every page's ``next`` is this

    def _handler_base(self) -> type:
        return _LicenseHandler

    def add_license(
        self, email: str, customer_uuid: Any, catalog_uuid: Any, *, status: str = "activated", **plan_options: Any
    ) -> str:
        """Give ``email`` a license on a plan of the customer whose catalog is ``catalog_uuid``; returns its uuid."""
        license_uuid = str(uuid.uuid4())
        now = _iso(datetime.now(UTC))
        entry = {
            "uuid": license_uuid,
            "status": status,
            "user_email": email,
            "assigned_date": now,
            "activation_date": now if status == "activated" else None,
            "revoked_date": now if status == "revoked" else None,
            "last_remind_date": None,
            "subscription_plan": subscription_plan(customer_uuid, catalog_uuid, **plan_options),
        }
        entry["subscription_plan_title"] = entry["subscription_plan"]["title"]
        entry["subscription_plan_expiration_date"] = entry["subscription_plan"]["expiration_date"]
        with self._lock:
            self.licenses.setdefault(email.lower(), []).append(entry)
        return license_uuid

    @property
    def lookups(self) -> list:
        return self.requests_to("/admin-license-view")


class _LicenseHandler(_Handler):
    catalog: LicenseManagerServer

    def _route(self, method: str, path: str, query: Mapping[str, list[str]], body: Any) -> None:
        server = self.catalog
        if method != "GET" or path.rstrip("/") != "/api/v1/admin-license-view":
            return self._send(404, {"detail": "Not found."})
        email = (query.get("user_email") or [""])[0]
        customer = (query.get("enterprise_customer_uuid") or [""])[0]
        if not email:
            return self._send(400, "A ``user_email`` is required in the request data")
        if not customer:
            return self._send(400, "An ``enterprise_customer_uuid`` is required in the request data")
        found = [
            entry for entry in server.licenses.get(email.lower(), [])
            if entry["subscription_plan"].get("enterprise_customer_uuid") == customer
        ]
        page = int((query.get("page") or ["1"])[0])
        start = (page - 1) * server.page_size
        results = found[start:start + server.page_size] if server.raw_results is None else server.raw_results
        more = start + server.page_size < len(found)
        params = {**{name: values[0] for name, values in query.items()}, "page": page + 1}
        next_url = f"{server.api_url}admin-license-view/?{urlencode(params)}"
        return self._send(200, {
            "count": len(found),
            "next": server.next_link if server.next_link is not None else (next_url if more else None),
            "previous": None,
            "results": results,
        })
