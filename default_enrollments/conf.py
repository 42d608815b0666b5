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

from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

SETTINGS_NAME = "DEFAULT_ENROLLMENTS"

#: The standalone host's enrollment backend; the core names the reference host only in strings like this.
REFERENCE_ENROLLMENT_BACKEND = "default_enrollments.contrib.reference_host.backend.ReferenceEnrollmentBackend"
#: The LMS's enrollment backend, chosen when ``ENROLLMENT_BACKEND`` is unset and the LMS enrollment API imports.
OPENEDX_ENROLLMENT_BACKEND = "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend"
OPENEDX_ENROLLMENT_API = "openedx.core.djangoapps.enrollments.api"

#: Top-level setting the Open edX plugin fills with its defaults for ``DEFAULT_ENROLLMENTS`` keys. A separate
#: setting, so that a later settings patch that reassigns ``DEFAULT_ENROLLMENTS`` (as Tutor's do) keeps them.
PLATFORM_DEFAULTS_SETTING = "DEFAULT_ENROLLMENTS_PLATFORM_DEFAULTS"

# Every key carries OEP-17 setting annotations (``.. setting_name:`` ...), collected by code-annotations.
DEFAULTS: dict[str, Any] = {
    # Catalog
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_CLIENT']
    # .. setting_default: 'default_enrollments.catalog.client.EnterpriseCatalogApiClient'
    # .. setting_description: Dotted path of the catalog client class. The static client
    #   (``default_enrollments.catalog.static.StaticCatalogClient``) reads ``CATALOG_FIXTURE`` instead of
    #   calling enterprise-catalog, for deployments without that service.
    "CATALOG_CLIENT": "default_enrollments.catalog.client.EnterpriseCatalogApiClient",
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_API_URL']
    # .. setting_default: None
    # .. setting_description: enterprise-catalog's API root. None: ``ENTERPRISE_CATALOG_INTERNAL_ROOT_URL``
    #   followed by ``/api/v1/``.
    "CATALOG_API_URL": None,  # falls back to ENTERPRISE_CATALOG_INTERNAL_ROOT_URL + "/api/v1/"
    # .. setting_name: DEFAULT_ENROLLMENTS['OAUTH2_PROVIDER_URL']
    # .. setting_default: None
    # .. setting_description: OAuth2 provider the catalog client gets its token from. None:
    #   ``ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL``.
    "OAUTH2_PROVIDER_URL": None,  # falls back to ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL
    # .. setting_name: DEFAULT_ENROLLMENTS['OAUTH2_CLIENT_ID']
    # .. setting_default: None
    # .. setting_description: OAuth2 client id of the catalog client. None:
    #   ``ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY``.
    "OAUTH2_CLIENT_ID": None,  # falls back to ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY
    # .. setting_name: DEFAULT_ENROLLMENTS['OAUTH2_CLIENT_SECRET']
    # .. setting_default: None
    # .. setting_description: OAuth2 client secret of the catalog client. None:
    #   ``ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET``.
    "OAUTH2_CLIENT_SECRET": None,  # falls back to ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_TIMEOUT']
    # .. setting_default: 5.0
    # .. setting_description: Seconds each catalog request may take.
    "CATALOG_TIMEOUT": 5.0,  # seconds, for every catalog request
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_RETRIES']
    # .. setting_default: 2
    # .. setting_description: Extra attempts for idempotent catalog GETs after a connection error or a 502/503/504.
    "CATALOG_RETRIES": 2,  # extra attempts for idempotent GETs on connection errors and 502/503/504
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_PAGE_SIZE']
    # .. setting_default: 100
    # .. setting_description: Page size asked of the catalog when listing catalog contents.
    "CATALOG_PAGE_SIZE": 100,
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_MAX_RESPONSE_BYTES']
    # .. setting_default: 4194304
    # .. setting_description: A catalog or token answer larger than this is refused.
    "CATALOG_MAX_RESPONSE_BYTES": 4 * 1024 * 1024,  # a larger answer (token answers too) is refused
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_CALL_TIMEOUT']
    # .. setting_default: None
    # .. setting_description: Seconds a whole catalog call (token, pages, retries) may take when the caller sets
    #   no deadline. None: ``CATALOG_TIMEOUT`` x (1 + ``CATALOG_RETRIES``).
    "CATALOG_CALL_TIMEOUT": None,  # seconds for a whole call when the caller sets no deadline
    # (token, pages, retries); None: CATALOG_TIMEOUT × (1 + CATALOG_RETRIES)
    # .. setting_name: DEFAULT_ENROLLMENTS['CATALOG_FIXTURE']
    # .. setting_default: None
    # .. setting_description: Path of the JSON file the static catalog client reads.
    "CATALOG_FIXTURE": None,  # JSON file read by the static client
    # .. setting_name: DEFAULT_ENROLLMENTS['CACHE_TIMEOUT']
    # .. setting_default: 300
    # .. setting_description: Seconds a catalog answer is kept in the Django cache.
    "CACHE_TIMEOUT": 300,  # seconds a catalog answer is kept in the Django cache
    # .. setting_name: DEFAULT_ENROLLMENTS['CACHE_ALIAS']
    # .. setting_default: 'default'
    # .. setting_description: The Django cache (an alias of ``CACHES``) that keeps catalog answers.
    "CACHE_ALIAS": "default",
    # Subscription licenses (the ``licenses.policy.subscription_license_policy`` eligibility policy)
    # .. setting_name: DEFAULT_ENROLLMENTS['LICENSE_MANAGER_API_URL']
    # .. setting_default: None
    # .. setting_description: license-manager's API root. None: the LMS's ``LICENSE_MANAGER_URL`` followed by
    #   ``/api/v1/``. The client authenticates with the same OAuth2 credentials as the catalog client.
    "LICENSE_MANAGER_API_URL": None,
    # .. setting_name: DEFAULT_ENROLLMENTS['LICENSE_MANAGER_TIMEOUT']
    # .. setting_default: 3.0
    # .. setting_description: Seconds of wall clock for one license-manager exchange (connect, headers and body);
    #   a call made without a caller's deadline may spend twice this (one retry).
    "LICENSE_MANAGER_TIMEOUT": 3.0,
    # .. setting_name: DEFAULT_ENROLLMENTS['LICENSE_MAX_RESPONSE_BYTES']
    # .. setting_default: 1048576
    # .. setting_description: A license-manager answer larger than this is refused.
    "LICENSE_MAX_RESPONSE_BYTES": 1024 * 1024,
    # .. setting_name: DEFAULT_ENROLLMENTS['LICENSE_CACHE_TIMEOUT']
    # .. setting_default: 60
    # .. setting_description: Seconds one learner's licenses for one customer are kept in the Django cache
    #   (``CACHE_ALIAS``). Short: a license activated or revoked counts from the next login after it expires.
    "LICENSE_CACHE_TIMEOUT": 60,
    # Decisions
    # .. setting_name: DEFAULT_ENROLLMENTS['MODE_PRIORITY']
    # .. setting_default: ['verified', 'professional', 'no-id-professional', 'audit', 'honor',
    #   'unpaid-executive-education']
    # .. setting_description: Course modes in order of preference; a learner is enrolled in the first one the
    #   run offers.
    "MODE_PRIORITY": [
        "verified",
        "professional",
        "no-id-professional",
        "audit",
        "honor",
        "unpaid-executive-education",
    ],
    # .. setting_name: DEFAULT_ENROLLMENTS['AUDIT_MODES']
    # .. setting_default: ['audit', 'honor']
    # .. setting_description: Modes counted as audit: an enrollment in one of them may be upgraded.
    "AUDIT_MODES": ["audit", "honor"],
    # .. setting_name: DEFAULT_ENROLLMENTS['ELIGIBILITY_POLICY']
    # .. setting_default: 'default_enrollments.eligibility.catalog_membership_policy'
    # .. setting_description: Dotted path of the callable that decides whether a learner may be enrolled in a run.
    "ELIGIBILITY_POLICY": "default_enrollments.eligibility.catalog_membership_policy",
    # .. setting_name: DEFAULT_ENROLLMENTS['ENROLLMENT_BACKEND']
    # .. setting_default: None
    # .. setting_description: Dotted path of the enrollment backend class. None: the Open edX backend when the
    #   LMS enrollment API (``openedx.core.djangoapps.enrollments.api``) can be imported, else the reference
    #   host's backend. Resolved on first use, so a settings patch that reassigns ``DEFAULT_ENROLLMENTS``
    #   keeps the Open edX backend in an LMS.
    "ENROLLMENT_BACKEND": None,
    # Triggers
    # .. setting_name: DEFAULT_ENROLLMENTS['REALIZE_ON_LOGIN']
    # .. setting_default: True
    # .. setting_description: Realize at login and when a learner is linked to a customer. False turns both off
    #   (the backfill command still works).
    "REALIZE_ON_LOGIN": True,
    # .. setting_name: DEFAULT_ENROLLMENTS['ASYNC']
    # .. setting_default: False (True in an Open edX LMS, set by the plugin settings)
    # .. setting_description: Realize in a Celery task queued after the login commits, instead of in the login
    #   request. The task runs on the worker's default queue unless routed (see docs/tutor.rst).
    "ASYNC": False,
    # .. setting_name: DEFAULT_ENROLLMENTS['LOGIN_TIME_BUDGET']
    # .. setting_default: 2.0
    # .. setting_description: Seconds of catalog time an in-process (not ``ASYNC``) realization may spend at login.
    "LOGIN_TIME_BUDGET": 2.0,  # seconds the in-process realization may spend on the catalog at login
    # REST API
    # .. setting_name: DEFAULT_ENROLLMENTS['ADMIN_PERMISSION']
    # .. setting_default: None
    # .. setting_description: Dotted path of ``callable(request, enterprise_customer_uuid) -> bool`` that lets a
    #   non-staff user manage one customer's intentions through the REST API.
    "ADMIN_PERMISSION": None,  # dotted path to callable(request, enterprise_customer_uuid) -> bool
}

#: The LMS setting naming license-manager's root URL (the one edx-platform and enterprise services read).
LICENSE_MANAGER_HOST_SETTING = "LICENSE_MANAGER_URL"

# Keys whose value is a dotted path that is imported when read.
IMPORT_STRINGS = {"CATALOG_CLIENT", "ELIGIBILITY_POLICY", "ENROLLMENT_BACKEND", "ADMIN_PERMISSION"}

# Keys that fall back to a setting the host already has (Open edX LMS names).
HOST_FALLBACKS = {
    "OAUTH2_PROVIDER_URL": "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL",
    "OAUTH2_CLIENT_ID": "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY",
    "OAUTH2_CLIENT_SECRET": "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET",
}


def known_keys() -> list[str]:
    """The keys ``DEFAULT_ENROLLMENTS`` may hold, sorted (the deploy-time checks name the closest to a typo)."""
    return sorted(DEFAULTS)


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
        value = self.user_settings.get(name, platform_defaults().get(name, DEFAULTS[name]))
        if value is None and name == "ENROLLMENT_BACKEND":
            value = default_enrollment_backend()
        if value is None and name in HOST_FALLBACKS:
            value = getattr(settings, HOST_FALLBACKS[name], None)
        if value is None and name == "CATALOG_API_URL":
            value = _catalog_url_from_host()
        if value is None and name == "LICENSE_MANAGER_API_URL":
            value = license_manager_url_from_host()
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = _import(name, value)
        # Kept as an instance attribute: later reads (the login path makes many) skip __getattr__.
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in DEFAULTS:
            self.__dict__.pop(name, None)


def platform_defaults() -> dict[str, Any]:
    """
    The defaults a platform plugin recorded (``DEFAULT_ENROLLMENTS_PLATFORM_DEFAULTS``), below the operator's keys.

    Keys this app does not know are ignored here: they come from the plugin, not from the operator.
    """
    recorded = getattr(settings, PLATFORM_DEFAULTS_SETTING, None) or {}
    return {key: value for key, value in recorded.items() if key in DEFAULTS}


def default_enrollment_backend() -> str:
    """The Open edX backend where the LMS enrollment API imports, else the reference host's."""
    try:
        in_lms = find_spec(OPENEDX_ENROLLMENT_API) is not None
    except ImportError:  # the parent package (``openedx``) is not there either
        in_lms = False
    return OPENEDX_ENROLLMENT_BACKEND if in_lms else REFERENCE_ENROLLMENT_BACKEND


def _catalog_url_from_host() -> str | None:
    root = getattr(settings, "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL", None)
    if not root:
        return None
    return root.rstrip("/") + "/api/v1/"


def license_manager_url_from_host() -> str | None:
    """The LMS's ``LICENSE_MANAGER_URL`` (the service's root) as an API root, or None where it is not set."""
    root = getattr(settings, LICENSE_MANAGER_HOST_SETTING, None)
    if not isinstance(root, str) or not root:
        return None
    return root.rstrip("/") + "/api/v1/"


def _import(name: str, dotted_path: str) -> Any:
    try:
        return import_string(dotted_path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{SETTINGS_NAME}[{name!r}] = {dotted_path!r} cannot be imported: {exc}") from exc


app_settings = AppSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting in (
        SETTINGS_NAME, PLATFORM_DEFAULTS_SETTING, *HOST_FALLBACKS.values(), "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL",
        LICENSE_MANAGER_HOST_SETTING,
    ):
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


# The host's record that a subscription license pays for an enterprise enrollment (edx-enterprise's
# ``LicensedEnterpriseCourseEnrollment``). Optional: a host without one records no license.
LICENSED_ENROLLMENT_MODEL_SETTING = "DEFAULT_ENROLLMENTS_LICENSED_ENTERPRISE_COURSE_ENROLLMENT_MODEL"
REFERENCE_LICENSED_ENROLLMENT_MODEL = f"{REFERENCE_APP_LABEL}.LicensedEnterpriseCourseEnrollment"


def licensed_enrollment_model_label() -> str | None:
    """
    The ``app_label.ModelName`` of the host's license fulfillment model, or None when the host keeps none.

    Set to a label, that model; set to ``None`` or ``""``, none. Unset, the bundled model, but only beside the
    bundled enterprise enrollment: a host with enrollments of its own is not made to keep licenses in the
    bundled app's table (docs/decisions/0018).
    """
    if hasattr(settings, LICENSED_ENROLLMENT_MODEL_SETTING):
        return getattr(settings, LICENSED_ENROLLMENT_MODEL_SETTING) or None
    if host_model_label(COURSE_ENROLLMENT_MODEL_SETTING) == HOST_MODEL_DEFAULTS[COURSE_ENROLLMENT_MODEL_SETTING]:
        return REFERENCE_LICENSED_ENROLLMENT_MODEL
    return None


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
