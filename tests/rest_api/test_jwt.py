"""Open edX services call with JWTs: edx-drf-extensions' JwtAuthentication is accepted beside the session."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("edx_rest_framework_extensions")  # JWT is accepted only where edx-drf-extensions is installed

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from django.test import Client  # noqa: E402
from edx_rest_framework_extensions.auth.jwt.tests.utils import (  # noqa: E402
    generate_asymmetric_jwt_token,
    generate_unversioned_payload,
)
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from tests.rest_api.conftest import learner_status_url

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


def _get_status(customer, token: str):
    return Client().get(
        learner_status_url(), {"enterprise_customer_uuid": str(customer.uuid)}, HTTP_AUTHORIZATION=f"JWT {token}"
    )


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
