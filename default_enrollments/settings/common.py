"""
Defaults for an Open edX LMS, applied through edx-django-utils' ``add_plugins`` (settings type ``common``).

An LMS runs edx-enterprise, so the host models are edx-enterprise's and enrollments go through the LMS's
enrollment API. Every value is filled only where the operator has not set one: a plugin must never override
the operator. The rest of ``DEFAULT_ENROLLMENTS`` keeps the lazy defaults of ``default_enrollments.conf``.
"""
from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from default_enrollments.conf import (
    COURSE_ENROLLMENT_MODEL_SETTING,
    CUSTOMER_MODEL_SETTING,
    CUSTOMER_USER_MODEL_SETTING,
    INTENTION_MODEL_SETTING,
    LICENSED_ENROLLMENT_MODEL_SETTING,
    OPENEDX_ENROLLMENT_BACKEND,
    PLATFORM_DEFAULTS_SETTING,
    REALIZATION_MODEL_SETTING,
    SETTINGS_NAME,
)

# Top-level settings: edx-enterprise's models play the host models on an Open edX LMS.
OPENEDX_HOST_MODELS: dict[str, str] = {
    CUSTOMER_MODEL_SETTING: "enterprise.EnterpriseCustomer",
    CUSTOMER_USER_MODEL_SETTING: "enterprise.EnterpriseCustomerUser",
    COURSE_ENROLLMENT_MODEL_SETTING: "enterprise.EnterpriseCourseEnrollment",
}
#: edx-enterprise's record of the license that pays for an enterprise enrollment. An operator may set the setting
#: to None to record no license; only an unset setting gets this value.
OPENEDX_LICENSED_ENROLLMENT_MODEL = "enterprise.LicensedEnterpriseCourseEnrollment"

#: Who administers a customer in an LMS: edx-enterprise's ``enterprise_admin`` role assignments (edx-rbac).
OPENEDX_ADMIN_PERMISSION = "default_enrollments.contrib.edx_enterprise.permissions.is_enterprise_admin"
# Top-level settings: edx-enterprise's own intentions and realizations, where its release has them one-to-one
# with the enrollment (4.32.0, its migration 0228). See docs/decisions/0011-one-set-of-intentions-on-open-edx.rst.
EDX_ENTERPRISE_APP_MODELS: dict[str, str] = {
    INTENTION_MODEL_SETTING: "enterprise.DefaultEnterpriseEnrollmentIntention",
    REALIZATION_MODEL_SETTING: "enterprise.DefaultEnterpriseEnrollmentRealization",
}
EDX_ENTERPRISE_TABLES_SINCE = (4, 32)


def edx_enterprise_has_the_tables() -> bool:
    """
    Whether the installed edx-enterprise has its own intentions with one-to-one realizations (4.32 or later).

    Read from the package metadata: models cannot be imported while settings load.
    """
    try:
        installed = version("edx-enterprise")
    except PackageNotFoundError:
        return False
    numbers = re.findall(r"\d+", installed)[:2]
    return len(numbers) == 2 and tuple(int(number) for number in numbers) >= EDX_ENTERPRISE_TABLES_SINCE


# DEFAULT_ENROLLMENTS keys whose Open edX value differs from the standalone default.
# An LMS runs Celery workers: realizing in a task (queued after the login commits) keeps the login request short.
OPENEDX_APP_DEFAULTS: dict[str, Any] = {
    "ENROLLMENT_BACKEND": OPENEDX_ENROLLMENT_BACKEND,
    "ASYNC": True,
    "ADMIN_PERMISSION": OPENEDX_ADMIN_PERMISSION,
}


def plugin_settings(settings: Any) -> None:
    """Fill the Open edX defaults into the LMS settings module, keeping whatever the operator set."""
    for name, label in OPENEDX_HOST_MODELS.items():
        if not getattr(settings, name, None):
            setattr(settings, name, label)
    if not hasattr(settings, LICENSED_ENROLLMENT_MODEL_SETTING):
        setattr(settings, LICENSED_ENROLLMENT_MODEL_SETTING, OPENEDX_LICENSED_ENROLLMENT_MODEL)

    # The two are chosen together; an operator who set either one has chosen.
    chosen = any(getattr(settings, name, None) for name in EDX_ENTERPRISE_APP_MODELS)
    if not chosen and edx_enterprise_has_the_tables():
        for name, label in EDX_ENTERPRISE_APP_MODELS.items():
            setattr(settings, name, label)

    configured = getattr(settings, SETTINGS_NAME, None) or {}
    # A new dict: the operator's own object stays untouched, and their keys win over ours.
    setattr(settings, SETTINGS_NAME, {**OPENEDX_APP_DEFAULTS, **configured})
    record_platform_defaults(settings)


def record_platform_defaults(settings: Any) -> None:
    """
    Keep the Open edX defaults in ``DEFAULT_ENROLLMENTS_PLATFORM_DEFAULTS`` as well, which the app reads below the
    operator's keys: a settings patch that runs after this hook and reassigns ``DEFAULT_ENROLLMENTS`` (Tutor's
    ``openedx-lms-*-settings`` patches do) then still gets ``ASYNC`` and the Open edX backend for the keys it omits.
    """
    recorded = getattr(settings, PLATFORM_DEFAULTS_SETTING, None) or {}
    setattr(settings, PLATFORM_DEFAULTS_SETTING, {**OPENEDX_APP_DEFAULTS, **recorded})
