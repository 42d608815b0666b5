"""
Who is calling: a JWT whose signature verifies with the host's public keys, else the session.

edx-drf-extensions decodes JWTs for Open edX services, but (10.9) it treats an empty public key set as
verified and falls back to the shared symmetric secret, so on a host without
``JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"]`` an unsigned or self-signed token was accepted with all its claims.
Here the signature is checked first, against the public keys only; edx-drf-extensions then does the rest
(expiry, issuer, audience, the user and its ``administrator`` claim). See docs/decisions/0009.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache

import jwt
from django.conf import settings
from django.utils.translation import gettext as _
from jwt.api_jwk import PyJWK
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed

logger = logging.getLogger(__name__)

# The asymmetric algorithms a public key of each type may verify. Symmetric (HS*) and "none" are never listed.
ALGORITHMS_BY_KEY_TYPE = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512"),
    "OKP": ("EdDSA",),
}


class SessionAuthenticationWithChallenge(SessionAuthentication):
    """
    Session authentication that answers anonymous callers with 401, not 403.

    DRF answers 401 only when the first authenticator names a ``WWW-Authenticate`` challenge; plain
    session authentication names none, so a session-only host would otherwise tell anonymous callers
    "forbidden" instead of "log in first".
    """

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'


@lru_cache(maxsize=8)
def _public_keys(jwk_set: str) -> tuple[tuple[PyJWK, tuple[str, ...]], ...]:
    """The configured public keys, each with the algorithms it may verify; symmetric (``oct``) keys are left out."""
    try:
        entries = json.loads(jwk_set)["keys"]
    except (ValueError, TypeError, KeyError):
        entries = None
    if not isinstance(entries, list):
        logger.error("JWT_AUTH JWT_PUBLIC_SIGNING_JWK_SET is not a JWK set: every JWT is refused")
        return ()
    usable = []
    for entry in entries:
        try:
            key = PyJWK(entry)
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError):
            logger.error("JWT_AUTH JWT_PUBLIC_SIGNING_JWK_SET holds an unusable key: it is skipped")
            continue
        allowed = ALGORITHMS_BY_KEY_TYPE.get(key.key_type, ())
        if entry.get("alg"):
            allowed = tuple(alg for alg in allowed if alg == entry["alg"])
        if allowed:
            usable.append((key, allowed))
    return tuple(usable)


def configured_public_keys() -> tuple[tuple[PyJWK, tuple[str, ...]], ...]:
    """The host's ``JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"]`` (JSON, as Open edX holds it), parsed once per value."""
    jwk_set = (getattr(settings, "JWT_AUTH", None) or {}).get("JWT_PUBLIC_SIGNING_JWK_SET")
    if not jwk_set:
        return ()
    if not isinstance(jwk_set, str):
        jwk_set = json.dumps(jwk_set, sort_keys=True)
    return _public_keys(jwk_set)


def has_verified_signature(token: str) -> bool:
    """
    Whether one of the configured public keys verifies the token's signature with an asymmetric algorithm.

    Only the signature is checked here: claims (expiry, issuer, audience) are edx-drf-extensions' job, after.
    """
    for key, algorithms in configured_public_keys():
        try:
            jwt.PyJWS().decode(token, key=key.key, algorithms=list(algorithms))
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
        return True
    return False


try:
    from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
    from rest_framework_jwt.blacklist.exceptions import MissingToken
except ImportError:  # pragma: no cover - exercised only on hosts without edx-drf-extensions
    VerifiedJwtAuthentication = None
else:

    class VerifiedJwtAuthentication(JwtAuthentication):
        """
        A JWT counts only when a configured public key verifies its signature; then edx-drf-extensions decides.

        A token in the ``Authorization`` header that fails is a 401. A JWT cookie that fails is ignored instead
        (edx-drf-extensions forgives cookies too), so the session, never the cookie's claims, decides.
        """

        def authenticate(self, request):
            try:
                token = self.get_token_from_request(request)
            except MissingToken:
                token = None
            if token is not None and not has_verified_signature(token):
                if self.is_authenticating_with_jwt_cookie(request):
                    return None
                logger.info("JWT refused: its signature is not verified by a configured public key")
                raise AuthenticationFailed(_("Invalid token: its signature is not verified by a configured key."))
            return super().authenticate(request)


def authentication_classes() -> list[type]:
    """A verified JWT (Open edX services call with JWTs) when edx-drf-extensions is installed; then the session."""
    classes: list[type] = [] if VerifiedJwtAuthentication is None else [VerifiedJwtAuthentication]
    classes.append(SessionAuthenticationWithChallenge)
    return classes
