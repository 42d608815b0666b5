"""
Run-time gates: what stops realization without a restart or a redeploy.

Three gates, checked at the start of realizing a learner (login, link, task and backfill alike):

- the platform's own switch for enterprise features (``ENABLE_ENTERPRISE_INTEGRATION``): off, nothing is realized;
- a kill switch for operators (a waffle switch, where django-waffle's app is installed);
- a per-customer opt-out (``CustomerOptOut`` rows, managed in the admin).

The switch is read through waffle, which caches it; the opt-out costs one indexed query per realization.
See docs/decisions/0012-run-time-gates-and-lms-defaults.rst.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import import_module
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from edx_toggles.toggles import WaffleSwitch
from waffle import switch_is_active

from default_enrollments.models import CustomerOptOut

# .. toggle_name: default_enrollments.disable_realization
# .. toggle_implementation: WaffleSwitch
# .. toggle_default: False
# .. toggle_description: Stops every default-enrollment realization (login, link, Celery tasks and the backfill
#   command) from the next realization on, without a restart. Intentions and existing enrollments are kept;
#   turning the switch off again lets the next login realize what was missed. Absent (always off) in a host
#   that does not install django-waffle's app.
# .. toggle_use_cases: circuit_breaker
# .. toggle_creation_date: 2026-12-02
# .. toggle_target_removal_date: None
# .. toggle_warning: Learners who logged in while the switch was on are realized at their next login or by
#   ``manage.py realize_default_enrollments``.
DISABLE_REALIZATION = WaffleSwitch("default_enrollments.disable_realization", module_name=__name__)
DISABLE_REALIZATION_SWITCH = DISABLE_REALIZATION.name

# The LMS's own answer to "are enterprise features on?", where openedx-platform is importable.
_PLATFORM_ENTERPRISE_ENABLED = "openedx.features.enterprise_support.api.enterprise_enabled"


def realization_switched_off() -> bool:
    """
    True when the operator's kill switch is on; always False where waffle's app is not installed.

    Read through waffle itself rather than ``DISABLE_REALIZATION.is_enabled()``: edx-toggles keeps the answer in
    the request cache, which only a web request clears, so a Celery worker or a command would never see the
    switch change. Waffle's own cache is refreshed whenever a switch is saved.
    """
    if not apps.is_installed("waffle"):
        return False
    return switch_is_active(DISABLE_REALIZATION.name)


@cache
def _platform_enterprise_enabled() -> Any:
    """The LMS's ``enterprise_enabled`` function, or None outside openedx-platform."""
    module_name, _, function_name = _PLATFORM_ENTERPRISE_ENABLED.rpartition(".")
    try:
        return getattr(import_module(module_name), function_name)
    except (ImportError, AttributeError):
        return None


def enterprise_integration_enabled() -> bool:
    """
    Whether the host has enterprise features on.

    In order: the LMS's ``enterprise_enabled()``; the top-level ``ENABLE_ENTERPRISE_INTEGRATION`` (what
    edx-enterprise reads); ``FEATURES["ENABLE_ENTERPRISE_INTEGRATION"]`` where the host has ``FEATURES``. A host
    that has none of them (a standalone Django project) has nothing to switch off: enabled.
    """
    platform_check = _platform_enterprise_enabled()
    if platform_check is not None:
        return bool(platform_check())
    if hasattr(settings, "ENABLE_ENTERPRISE_INTEGRATION"):
        return bool(settings.ENABLE_ENTERPRISE_INTEGRATION)
    features = getattr(settings, "FEATURES", None)
    if isinstance(features, dict) and "ENABLE_ENTERPRISE_INTEGRATION" in features:
        return bool(features["ENABLE_ENTERPRISE_INTEGRATION"])
    return True


def realization_enabled() -> bool:
    """The host-wide gates: enterprise integration on and the kill switch off."""
    return enterprise_integration_enabled() and not realization_switched_off()


def opted_out(customer_uuids: Iterable[UUID | str]) -> set[UUID]:
    """Which of these customers opted out (one query; none for an empty list)."""
    wanted = {UUID(str(uuid)) for uuid in customer_uuids}
    if not wanted:
        return set()
    return set(
        CustomerOptOut.objects.filter(enterprise_customer_uuid__in=wanted).values_list(
            "enterprise_customer_uuid", flat=True
        )
    )


def customers_to_realize(customer_uuids: Iterable[UUID | str]) -> set[UUID]:
    """
    Of these customers, those whose learners may be realized now: none when a host-wide gate is closed, else all
    but those that opted out. Checked at the start of every realization, so a change applies to the next one.
    """
    wanted = {UUID(str(uuid)) for uuid in customer_uuids}
    if not wanted or not realization_enabled():
        return set()
    return wanted - opted_out(wanted)
