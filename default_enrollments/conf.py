"""
The one place that reads this app's settings.

Everything configurable lives in the ``DEFAULT_ENROLLMENTS`` dict of the host's Django settings.
Values are read on first access, not at import time, so an Open edX plugin can fill defaults late
and tests can change them with ``override_settings`` or pytest-django's ``settings`` fixture.

Usage::

    from default_enrollments.conf import app_settings
    app_settings.CATALOG_TIMEOUT        # a plain value
    app_settings.CATALOG_CLIENT         # a dotted path, imported on access
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

SETTINGS_NAME = "DEFAULT_ENROLLMENTS"

#: The standalone host's enrollment backend; the core names the reference host only in strings like this.
REFERENCE_ENROLLMENT_BACKEND = "default_enrollments.contrib.reference_host.backend.ReferenceEnrollmentBackend"

DEFAULTS: dict[str, Any] = {
    # Catalog
    "CATALOG_CLIENT": "default_enrollments.catalog.client.EnterpriseCatalogApiClient",
    "CATALOG_API_URL": None,  # falls back to ENTERPRISE_CATALOG_INTERNAL_ROOT_URL + "/api/v1/"
    "OAUTH2_PROVIDER_URL": None,  # falls back to ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL
    "OAUTH2_CLIENT_ID": None,  # falls back to ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY
    "OAUTH2_CLIENT_SECRET": None,  # falls back to ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET
    "CATALOG_TIMEOUT": 5.0,  # seconds, for every catalog request
    "CATALOG_RETRIES": 2,  # extra attempts for idempotent GETs on connection errors and 502/503/504
    "CATALOG_PAGE_SIZE": 100,
    "CATALOG_MAX_RESPONSE_BYTES": 4 * 1024 * 1024,  # a larger answer (token answers too) is refused
    "CATALOG_CALL_TIMEOUT": None,  # seconds for a whole call when the caller sets no deadline
    # (token, pages, retries); None: CATALOG_TIMEOUT × (1 + CATALOG_RETRIES)
    "CATALOG_FIXTURE": None,  # JSON file read by the static client
    "CACHE_TIMEOUT": 300,  # seconds a catalog answer is kept in the Django cache
    "CACHE_ALIAS": "default",
    # Decisions
    "MODE_PRIORITY": [
        "verified",
        "professional",
        "no-id-professional",
        "audit",
        "honor",
        "unpaid-executive-education",
    ],
    "AUDIT_MODES": ["audit", "honor"],
    "ELIGIBILITY_POLICY": "default_enrollments.eligibility.catalog_membership_policy",
    "ENROLLMENT_BACKEND": REFERENCE_ENROLLMENT_BACKEND,
    # Triggers
    "REALIZE_ON_LOGIN": True,
    "ASYNC": False,
    "LOGIN_TIME_BUDGET": 2.0,  # seconds the in-process realization may spend on the catalog at login
    # REST API
    "ADMIN_PERMISSION": None,  # dotted path to callable(request, enterprise_customer_uuid) -> bool
}

# Keys whose value is a dotted path that is imported when read.
IMPORT_STRINGS = {"CATALOG_CLIENT", "ELIGIBILITY_POLICY", "ENROLLMENT_BACKEND", "ADMIN_PERMISSION"}

# Keys that fall back to a setting the host already has (Open edX LMS names).
HOST_FALLBACKS = {
    "OAUTH2_PROVIDER_URL": "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL",
    "OAUTH2_CLIENT_ID": "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY",
    "OAUTH2_CLIENT_SECRET": "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET",
}


class AppSettings:
    """Lazy view of ``settings.DEFAULT_ENROLLMENTS`` merged over ``DEFAULTS``."""

    @property
    def user_settings(self) -> dict[str, Any]:
        configured = getattr(settings, SETTINGS_NAME, None) or {}
        unknown = set(configured) - set(DEFAULTS)
        if unknown:
            raise ImproperlyConfigured(
                f"{SETTINGS_NAME} has unknown keys: {', '.join(sorted(unknown))}. "
                f"Known keys: {', '.join(sorted(DEFAULTS))}."
            )
        return configured

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"{SETTINGS_NAME} has no key {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if value is None and name in HOST_FALLBACKS:
            value = getattr(settings, HOST_FALLBACKS[name], None)
        if value is None and name == "CATALOG_API_URL":
            value = _catalog_url_from_host()
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = _import(name, value)
        # Kept as an instance attribute: later reads (the login path makes many) skip __getattr__.
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in DEFAULTS:
            self.__dict__.pop(name, None)


def _catalog_url_from_host() -> str | None:
    root = getattr(settings, "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL", None)
    if not root:
        return None
    return root.rstrip("/") + "/api/v1/"


def _import(name: str, dotted_path: str) -> Any:
    try:
        return import_string(dotted_path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{SETTINGS_NAME}[{name!r}] = {dotted_path!r} cannot be imported: {exc}") from exc


app_settings = AppSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTINGS_NAME, *HOST_FALLBACKS.values(), "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL"):
        app_settings.reload()


setting_changed.connect(_reload_on_change)


# --- Host models (swappable, like AUTH_USER_MODEL) -----------------------------------------------
# Top-level settings, not DEFAULT_ENROLLMENTS keys: Django resolves swappable models and migration
# dependencies from top-level settings.
CUSTOMER_MODEL_SETTING = "DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL"
CUSTOMER_USER_MODEL_SETTING = "DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL"
COURSE_ENROLLMENT_MODEL_SETTING = "DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL"

REFERENCE_APP_LABEL = "default_enrollments_reference"
HOST_MODEL_DEFAULTS = {
    CUSTOMER_MODEL_SETTING: f"{REFERENCE_APP_LABEL}.EnterpriseCustomer",
    CUSTOMER_USER_MODEL_SETTING: f"{REFERENCE_APP_LABEL}.EnterpriseCustomerUser",
    COURSE_ENROLLMENT_MODEL_SETTING: f"{REFERENCE_APP_LABEL}.EnterpriseCourseEnrollment",
}


def host_model_label(setting_name: str) -> str:
    """The ``app_label.ModelName`` a host-model setting points at (the bundled model by default)."""
    return getattr(settings, setting_name, None) or HOST_MODEL_DEFAULTS[setting_name]


# The app's own two models are swappable too: on an LMS whose edx-enterprise already has default enrollment
# intentions (4.32+), the engine runs on edx-enterprise's tables. Unset means the app's own models.
INTENTION_MODEL_SETTING = "DEFAULT_ENROLLMENTS_INTENTION_MODEL"
REALIZATION_MODEL_SETTING = "DEFAULT_ENROLLMENTS_REALIZATION_MODEL"
APP_LABEL = "default_enrollments"
APP_MODEL_DEFAULTS = {
    INTENTION_MODEL_SETTING: f"{APP_LABEL}.DefaultEnterpriseEnrollmentIntention",
    REALIZATION_MODEL_SETTING: f"{APP_LABEL}.DefaultEnterpriseEnrollmentRealization",
}
#: The edx-enterprise migration that makes its realization one-to-one with the enrollment (4.32.0).
EDX_ENTERPRISE_ONE_TO_ONE_MIGRATION = (
    "enterprise",
    "0228_alter_defaultenterpriseenrollmentrealization_realized_enrollment",
)


def app_model_label(setting_name: str) -> str:
    """The ``app_label.ModelName`` an intention/realization setting points at (the app's own model by default)."""
    return getattr(settings, setting_name, None) or APP_MODEL_DEFAULTS[setting_name]


def app_models_swapped() -> bool:
    """Whether the intentions live in another app's table (edx-enterprise's), not in ours."""
    return app_model_label(INTENTION_MODEL_SETTING).split(".")[0] != APP_LABEL


def intentions_related_name() -> str:
    """
    The reverse accessor from the customer model to our intentions.

    edx-enterprise's ``EnterpriseCustomer`` already has ``default_enrollment_intentions`` (for its
    own intention model), so on that host ours steps aside to avoid a reverse-accessor clash.
    See docs/decisions/0003-coexisting-with-edx-enterprise.rst.
    """
    if host_model_label(CUSTOMER_MODEL_SETTING).split(".")[0] == "enterprise":
        return "default_enrollments_intentions"
    return "default_enrollment_intentions"
