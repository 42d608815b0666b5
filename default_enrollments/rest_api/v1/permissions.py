"""
Who may read intentions: staff everywhere, a customer's admins (as the host decides) for that customer.

Whether someone administers a customer is the host's knowledge (edx-enterprise keeps it in edx-rbac
roles), so it is asked through ``DEFAULT_ENROLLMENTS["ADMIN_PERMISSION"]``, a callable
``(request, enterprise_customer_uuid) -> bool``. Without one, only staff may list and retrieve.
A check that raises refuses (403), it never answers 500. Tokens of restricted applications are
refused everywhere (edx-drf-extensions' ``NotJwtRestrictedApplication``).
"""
from __future__ import annotations

import logging
from uuid import UUID

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated

from default_enrollments.conf import app_settings

logger = logging.getLogger(__name__)


def is_staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.is_staff)


def is_customer_admin(request, enterprise_customer_uuid: UUID | str) -> bool:
    """Staff, or an administrator of this customer according to the host's ``ADMIN_PERMISSION``."""
    if is_staff(request):
        return True
    check = app_settings.ADMIN_PERMISSION
    if check is None:
        return False
    try:
        allowed = bool(check(request, str(enterprise_customer_uuid)))
    except Exception:  # noqa: BLE001 - the host's code: whatever it raises, the caller is refused, not a 500
        logger.exception(
            "admin permission check raised: user=%s customer=%s",
            getattr(request.user, "pk", None),
            enterprise_customer_uuid,
        )
        raise PermissionDenied(_("Whether you administer this enterprise customer could not be checked.")) from None
    if not allowed:
        logger.info(
            "admin permission refused: user=%s customer=%s",
            getattr(request.user, "pk", None),
            enterprise_customer_uuid,
        )
    return allowed


class IsCustomerAdminForIntention(BasePermission):
    """Object-level check: the intention's own customer decides, whatever the query string says."""

    message = "You do not administer the enterprise customer of this default enrollment intention."

    def has_object_permission(self, request, view, obj) -> bool:
        return is_customer_admin(request, obj.enterprise_customer_id)


def base_permission_classes() -> list[type]:
    """
    Logged in, and not through a restricted application's JWT when edx-drf-extensions is installed.

    Restricted applications are third parties holding client-credentials tokens; Open edX APIs that expose
    learner data refuse them unless the view checks scopes, and this one checks none.
    """
    classes: list[type] = [IsAuthenticated]
    try:
        from edx_rest_framework_extensions.permissions import NotJwtRestrictedApplication  # noqa: PLC0415
    except ImportError:  # pragma: no cover - exercised only on hosts without edx-drf-extensions
        return classes
    classes.append(NotJwtRestrictedApplication)
    return classes
