"""
Open edX services call with JWTs: a token counts only once its signature verifies with a configured public key.

The repository's own settings (tests/settings.py) are a legacy LMS's: a symmetric ``JWT_ISSUERS`` secret and no
``JWT_PUBLIC_SIGNING_JWK_SET``. Tokens are minted here with PyJWT, as an LMS or a forger would.
"""
from __future__ import annotations

import json
import secrets

import jwt
import pytest

pytest.importorskip("edx_rest_framework_extensions")  # JWT is accepted only where edx-drf-extensions is installed

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from edx_rest_framework_extensions.auth.jwt.tests.utils import (  # noqa: E402
    generate_asymmetric_jwt_token,
    generate_latest_version_payload,
    generate_unversioned_payload,
)
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from tests.factories import EnterpriseCustomerUserFactory, UserFactory  # noqa: E402
from tests.rest_api.conftest import learner_status_url  # noqa: E402

pytestmark = pytest.mark.django_db

def _rsa_jwk() -> tuple[str, str]:
    """A fresh RSA key as (private JWK, public JWK set), both JSON, as an LMS's JWT_AUTH holds them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = json.loads(RSAAlgorithm.to_jwk(key))
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    private["kid"] = public["kid"] = "test-key"
    return json.dumps(private), json.dumps({"keys": [public]})


@pytest.fixture
def jwt_settings(settings):
    """Asymmetric signing keys as an Open edX LMS holds them (issuer and header prefix: tests/settings.py)."""
    private_jwk, public_jwk_set = _rsa_jwk()
    settings.JWT_AUTH = {
        **settings.JWT_AUTH,
        "JWT_SIGNING_ALGORITHM": "RS512",
        "JWT_PRIVATE_SIGNING_JWK": private_jwk,
        "JWT_PUBLIC_SIGNING_JWK_SET": public_jwk_set,
    }
    return settings


def _get_status(customer, token: str, **params):
    return Client().get(
        learner_status_url(),
        {"enterprise_customer_uuid": str(customer.uuid), **params},
        HTTP_AUTHORIZATION=f"JWT {token}",
    )


def _forged_admin_payload() -> dict:
    """What a forger sends: a fresh username that claims to be LMS staff, with the right issuer and audience."""
    payload = generate_unversioned_payload(UserFactory.build(username="mallory", email="mallory@example.com"))
    payload["administrator"] = True
    return payload


def _rsa_private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


FORGERIES = {
    "unsigned (alg none)": lambda payload: jwt.encode(payload, None, algorithm="none"),
    "HS256 with a random key": lambda payload: jwt.encode(payload, secrets.token_hex(32), algorithm="HS256"),
    "RS256 with a key not in the set": lambda payload: jwt.encode(payload, _rsa_private_key(), algorithm="RS256"),
}


def test_learner_with_a_jwt_gets_their_status(jwt_settings, learner, customer, catalog_server):
    token = generate_asymmetric_jwt_token(generate_unversioned_payload(learner))

    response = _get_status(customer, token)

    assert response.status_code == 200, response.content
    assert response.json()["lms_user_id"] == learner.id


def test_jwt_signed_by_another_key_is_401(jwt_settings, learner, customer):
    forger_private_jwk, _ = _rsa_jwk()
    jwt_settings.JWT_AUTH = {**jwt_settings.JWT_AUTH, "JWT_PRIVATE_SIGNING_JWK": forger_private_jwk}
    token = generate_asymmetric_jwt_token(generate_unversioned_payload(learner))

    response = _get_status(customer, token)

    assert response.status_code == 401


# --- forged tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize("with_key_set", [False, True], ids=["no public key set", "public key set"])
@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_token_is_401(jwt_settings, learner, customer, forge, with_key_set):
    if not with_key_set:
        jwt_settings.JWT_AUTH = {
            key: value for key, value in jwt_settings.JWT_AUTH.items() if key != "JWT_PUBLIC_SIGNING_JWK_SET"
        }

    response = _get_status(customer, forge(generate_unversioned_payload(learner)))

    assert response.status_code == 401
    assert "detail" in response.json()


def test_token_signed_with_the_legacy_symmetric_secret_is_401(learner, customer, settings):
    """The shared secret is held by every service that knows it, so it proves nothing about the caller."""
    secret = settings.JWT_AUTH["JWT_ISSUERS"][0]["SECRET_KEY"]
    token = jwt.encode(generate_unversioned_payload(learner), secret, algorithm="HS256")

    assert _get_status(customer, token).status_code == 401


def test_verified_token_without_a_configured_key_set_is_401(jwt_settings, learner, customer):
    """Without a public key set nothing can be verified, so no token is trusted, however it was signed."""
    token = generate_asymmetric_jwt_token(generate_unversioned_payload(learner))
    jwt_settings.JWT_AUTH = {**jwt_settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": ""}

    assert _get_status(customer, token).status_code == 401


def test_symmetric_key_in_the_public_key_set_verifies_nothing(jwt_settings, learner, customer, catalog_server):
    """An ``oct`` key listed among the public keys is still a shared secret: HS256 tokens stay refused."""
    secret = secrets.token_bytes(32)
    oct_key = {"kty": "oct", "kid": "shared", "k": jwt.utils.base64url_encode(secret).decode()}
    public_keys = json.loads(jwt_settings.JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"])["keys"]
    jwt_settings.JWT_AUTH = {
        **jwt_settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": json.dumps({"keys": [*public_keys, oct_key]})
    }
    token = jwt.encode(generate_unversioned_payload(learner), secret, algorithm="HS256")

    assert _get_status(customer, token).status_code == 401
    signed = generate_asymmetric_jwt_token(generate_unversioned_payload(learner))
    assert _get_status(customer, signed).status_code == 200  # the RSA key beside it still verifies


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_administrator_cannot_read_another_learners_status(settings, learner, customer, forge):
    """The repository's own (legacy LMS) settings: symmetric issuer, no public key set."""
    assert "JWT_PUBLIC_SIGNING_JWK_SET" not in settings.JWT_AUTH

    response = _get_status(customer, forge(_forged_admin_payload()), lms_user_id=learner.id)

    assert response.status_code == 401
    assert learner.email not in response.content.decode()
    assert not get_user_model().objects.filter(username="mallory").exists()  # no account made from its claims


def test_verified_lms_administrator_reads_another_learners_status(jwt_settings, learner, customer, catalog_server):
    """A token the LMS signed is the LMS's word: its ``administrator`` claim is staff."""
    lms_staff = UserFactory()
    payload = generate_unversioned_payload(lms_staff)
    payload["administrator"] = True

    response = _get_status(customer, generate_asymmetric_jwt_token(payload), lms_user_id=learner.id)

    assert response.status_code == 200, response.content
    assert response.json()["lms_user_id"] == learner.id
    assert response.json()["user_email"] == learner.email


def test_verified_token_of_a_restricted_application_is_403(jwt_settings, learner, customer):
    """Restricted applications (client-credentials tokens of third parties) may not read learner data."""
    token = generate_asymmetric_jwt_token(generate_latest_version_payload(learner, is_restricted=True))

    response = _get_status(customer, token)

    assert response.status_code == 403
    assert "detail" in response.json()


def test_another_learner_with_a_verified_token_gets_their_own_status(jwt_settings, learner, customer):
    someone_else = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=someone_else.id)

    response = _get_status(
        customer, generate_asymmetric_jwt_token(generate_unversioned_payload(someone_else)), lms_user_id=learner.id
    )

    assert response.status_code == 200
    assert response.json()["lms_user_id"] == someone_else.id
    assert learner.email not in response.content.decode()


@pytest.fixture
def jwt_cookie(monkeypatch):
    """Name the JWT cookie as an Open edX LMS does (drf-jwt reads its settings once, so set them where it reads)."""
    from rest_framework_jwt.settings import api_settings  # noqa: PLC0415

    monkeypatch.setattr(api_settings, "JWT_AUTH_COOKIE", "edx-jwt-cookie", raising=False)
    return "edx-jwt-cookie"


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_jwt_cookie_is_ignored_and_the_session_decides(jwt_cookie, learner, customer, catalog_server, forge):
    someone_else = UserFactory()
    EnterpriseCustomerUserFactory(enterprise_customer=customer, user_id=someone_else.id)
    browser = Client()
    browser.force_login(learner)
    browser.cookies[jwt_cookie] = forge(_forged_admin_payload())

    response = browser.get(
        learner_status_url(), {"enterprise_customer_uuid": str(customer.uuid), "lms_user_id": someone_else.id}
    )

    assert response.status_code == 200
    assert response.json()["lms_user_id"] == learner.id  # the session's learner, not the cookie's "staff"
    assert someone_else.email not in response.content.decode()


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_jwt_cookie_alone_is_401(jwt_cookie, learner, customer, forge):
    browser = Client()
    browser.cookies[jwt_cookie] = forge(_forged_admin_payload())

    response = browser.get(learner_status_url(), {"enterprise_customer_uuid": str(customer.uuid)})

    assert response.status_code == 401
    assert learner.email not in response.content.decode()
