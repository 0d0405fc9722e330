"""The credentials local mode makes for an endpoint spec: which keys, of what form, for whom."""

from __future__ import annotations

from datetime import timedelta

import jwt

from credentials.api_keys import api_key_sha256
from credentials.endpoint_credentials import new_endpoint_credentials
from credentials.tokens import get_token
from specification.endpoint import EndpointSpec


def _spec(**fields: object) -> EndpointSpec:
    return EndpointSpec.model_validate(
        {"name": "ep", "versions": [{"name": "v1", "image": "m:1"}], **fields}
    )


def test_keys_and_a_signing_key_for_a_spec_with_both_auths() -> None:
    credentials = new_endpoint_credentials(_spec(token_auth_enabled=True))
    primary, secondary = credentials.primary_key, credentials.secondary_key
    assert primary is not None and secondary is not None and primary != secondary
    assert len(primary) == 43  # secrets.token_urlsafe(32)
    assert credentials.key_hashes() == {
        "primary": api_key_sha256(primary),
        "secondary": api_key_sha256(secondary),
    }
    assert credentials.signing_key_pem is not None and credentials.public_key_pem is not None
    for secret in (primary, secondary, credentials.signing_key_pem):
        assert secret not in repr(credentials)


def test_issuer_and_audience_come_from_the_spec_and_tokens_verify() -> None:
    spec = _spec(token_auth_enabled=True)
    credentials = new_endpoint_credentials(spec)
    assert (credentials.issuer, credentials.audience) == (spec.token_issuer, spec.token_audience)
    assert (credentials.issuer, credentials.audience) == ("model-endpoints", "ep")
    assert credentials.signing_key_pem is not None and credentials.public_key_pem is not None
    token, _ = get_token(
        credentials.signing_key_pem,
        issuer=credentials.issuer,
        audience=credentials.audience,
        lifetime=timedelta(minutes=5),
    )
    jwt.decode(token, credentials.public_key_pem, algorithms=["ES256"], audience="ep", issuer="model-endpoints")


def test_no_keys_without_auth_and_no_signing_key_without_token_auth() -> None:
    credentials = new_endpoint_credentials(_spec(auth_enabled=False))
    assert credentials.primary_key is None and credentials.secondary_key is None
    assert credentials.key_hashes() is None
    assert credentials.signing_key_pem is None and credentials.public_key_pem is None
