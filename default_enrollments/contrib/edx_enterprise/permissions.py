"""
``ADMIN_PERMISSION`` for an Open edX LMS: who administers a customer, as edx-enterprise records it with edx-rbac.

edx-enterprise grants a customer's admins the system-wide role ``enterprise_admin`` with that customer as context,
in two places: a row of ``SystemWideEnterpriseUserRoleAssignment`` (what its admin and its admin-invite flow
write), and the ``roles`` claim (``enterprise_admin:<uuid>``) of the JWTs the LMS mints from those rows. The
Open edX operator role (``enterprise_openedx_operator``) reaches every customer, as it does in edx-enterprise.

A claim counts only from the JWT that authenticated the request, i.e. the ``Authorization`` header whose
signature a configured public key verified (``rest_api.v1.authentication``). A JWT cookie, or a header on a
request the session authenticated, is never read: its signature was not checked here. See docs/decisions/0014.
"""
from __future__ import annotations

from uuid import UUID

from edx_rbac.constants import ALL_ACCESS_CONTEXT
from edx_rbac.utils import contexts_accessible_from_database
from enterprise.constants import ENTERPRISE_ADMIN_ROLE, ENTERPRISE_OPERATOR_ROLE
from enterprise.models import SystemWideEnterpriseUserRoleAssignment

from default_enrollments.rest_api.v1.authentication import VerifiedJwtAuthentication

#: The system-wide roles that let a user read a customer's default enrollments.
ADMIN_ROLES = (ENTERPRISE_ADMIN_ROLE, ENTERPRISE_OPERATOR_ROLE)


def is_enterprise_admin(request, enterprise_customer_uuid: UUID | str) -> bool:
    """Whether the caller holds an admin role for this customer (or for all), in the database or a verified JWT."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    wanted = str(enterprise_customer_uuid)
    contexts = _contexts_from_verified_jwt(request) | _contexts_from_database(user)
    return wanted in contexts or ALL_ACCESS_CONTEXT in contexts


def _contexts_from_database(user) -> set[str]:
    """Customers (or ``*``) of the user's role assignments, read through edx-rbac as edx-enterprise reads them."""
    contexts = contexts_accessible_from_database(user, list(ADMIN_ROLES), SystemWideEnterpriseUserRoleAssignment)
    return {str(context) for context in contexts if context is not None}


def _contexts_from_verified_jwt(request) -> set[str]:
    """
    Contexts of the admin roles in the ``roles`` claim of the token that authenticated this request.

    Read from DRF's ``request.auth`` only when a JWT authenticator (which verified the signature) succeeded; the
    claim's system roles are matched directly, as edx-enterprise matches ``enterprise_admin``.
    """
    payload = _verified_payload(request)
    roles = payload.get("roles") if isinstance(payload, dict) else None
    if not isinstance(roles, list):
        return set()
    contexts = set()
    for role_data in roles:
        if not isinstance(role_data, str):
            continue
        role, _, context = role_data.partition(":")
        if role == ENTERPRISE_OPERATOR_ROLE:
            contexts.add(ALL_ACCESS_CONTEXT)
        elif role == ENTERPRISE_ADMIN_ROLE and context:
            contexts.add(context)
    return contexts


def _verified_payload(request) -> dict | None:
    """The decoded claims of the request's verified JWT, or None when a JWT did not authenticate it."""
    authenticator = getattr(request, "successful_authenticator", None)
    if VerifiedJwtAuthentication is None or not isinstance(authenticator, VerifiedJwtAuthentication):
        return None
    from edx_rest_framework_extensions.auth.jwt.decoder import configured_jwt_decode_handler  # noqa: PLC0415

    return configured_jwt_decode_handler(request.auth)
