"""
Who may read intentions: staff everywhere, a customer's admins (as the host decides) for that customer.

Whether someone administers a customer is the host's knowledge (edx-enterprise keeps it in edx-rbac
roles), so it is asked through ``DEFAULT_ENROLLMENTS["ADMIN_PERMISSION"]``, a callable
``(request, enterprise_customer_uuid) -> bool``. Without one, only staff may list and retrieve.
"""
from __future__ import annotations

import logging
from uuid import UUID

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

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
    allowed = bool(check(request, str(enterprise_customer_uuid)))
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


class SessionAuthenticationWithChallenge(SessionAuthentication):
    """
    Session authentication that answers anonymous callers with 401, not 403.

    DRF answers 401 only when the first authenticator names a ``WWW-Authenticate`` challenge; plain
    session authentication names none, so a session-only host would otherwise tell anonymous callers
    "forbidden" instead of "log in first".
    """

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'


def authentication_classes() -> list[type]:
    """JWT (edx-drf-extensions) when installed, as Open edX services call with JWTs; then the session."""
    classes: list[type] = []
    try:
        from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication  # noqa: PLC0415
    except ImportError:  # pragma: no cover - exercised only on hosts without edx-drf-extensions
        pass
    else:
        classes.append(JwtAuthentication)
    classes.append(SessionAuthenticationWithChallenge)
    return classes
