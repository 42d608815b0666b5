"""
Defaults for an Open edX LMS, applied through edx-django-utils' ``add_plugins`` (settings type ``common``).

An LMS runs edx-enterprise, so the host models are edx-enterprise's and enrollments go through the LMS's
enrollment API. Every value is filled only where the operator has not set one: a plugin must never override
the operator. The rest of ``DEFAULT_ENROLLMENTS`` keeps the lazy defaults of ``default_enrollments.conf``.
"""
from __future__ import annotations

from typing import Any

from default_enrollments.conf import (
    COURSE_ENROLLMENT_MODEL_SETTING,
    CUSTOMER_MODEL_SETTING,
    CUSTOMER_USER_MODEL_SETTING,
    SETTINGS_NAME,
)

# Top-level settings: edx-enterprise's models play the host models on an Open edX LMS.
OPENEDX_HOST_MODELS: dict[str, str] = {
    CUSTOMER_MODEL_SETTING: "enterprise.EnterpriseCustomer",
    CUSTOMER_USER_MODEL_SETTING: "enterprise.EnterpriseCustomerUser",
    COURSE_ENROLLMENT_MODEL_SETTING: "enterprise.EnterpriseCourseEnrollment",
}

# DEFAULT_ENROLLMENTS keys whose Open edX value differs from the standalone default.
OPENEDX_APP_DEFAULTS: dict[str, Any] = {
    "ENROLLMENT_BACKEND": "default_enrollments.backends.openedx.OpenEdxEnrollmentBackend",
}

#: Who administers a customer in an LMS: edx-enterprise's ``enterprise_admin`` role assignments (edx-rbac).
OPENEDX_ADMIN_PERMISSION = "default_enrollments.contrib.edx_enterprise.permissions.is_enterprise_admin"


def plugin_settings(settings: Any) -> None:
    """Fill the Open edX defaults into the LMS settings module, keeping whatever the operator set."""
    for name, label in OPENEDX_HOST_MODELS.items():
        if not getattr(settings, name, None):
            setattr(settings, name, label)

    configured = getattr(settings, SETTINGS_NAME, None) or {}
    # A new dict: the operator's own object stays untouched, and their keys win over ours.
    setattr(settings, SETTINGS_NAME, {**OPENEDX_APP_DEFAULTS, **configured})
    _default_admin_permission(settings)


def _default_admin_permission(settings: Any) -> None:
    """Enterprise admins read their customers' intentions unless the operator chose another check (or None)."""
    configured = getattr(settings, SETTINGS_NAME)
    if "ADMIN_PERMISSION" not in configured:
        setattr(settings, SETTINGS_NAME, {**configured, "ADMIN_PERMISSION": OPENEDX_ADMIN_PERMISSION})
