"""The token-signing key pair: formats, key id, and when it is replaced."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from provider.signing_key_state import (
    TokenSignerInputs,
    key_id,
    load_signing_key,
    new_signing_key,
    rotation_problems,
    signing_key_outputs,
)

INPUTS = TokenSignerInputs(issuer="https://ep.example/issuer", audience="ep")


def test_a_pair_is_p256_with_a_spki_public_key_and_a_thumbprint_id() -> None:
    pair = new_signing_key()
    private_key = load_signing_key(pair.private_key_pem)
    assert pair.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pair.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    public_key = serialization.load_pem_public_key(pair.public_key_pem.encode())
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.public_numbers() == private_key.public_key().public_numbers()
    assert pair.key_id == key_id(public_key) and len(pair.key_id) == 43
    assert new_signing_key().key_id != pair.key_id
    assert "PRIVATE" not in repr(pair)


def test_only_p256_private_keys_load_and_errors_do_not_echo_the_text() -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(ValueError, match="not a P-256") as caught:
        load_signing_key(rsa_pem)
    assert "BEGIN" not in str(caught.value)
    with pytest.raises(ValueError, match="not a PEM private key"):
        load_signing_key("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")


def test_the_pair_is_kept_unless_the_counter_changes() -> None:
    created = signing_key_outputs(INPUTS, None, {})
    reissued = INPUTS.model_copy(update={"issuer": "https://other.example"})
    kept = signing_key_outputs(reissued, INPUTS, created)
    assert kept["private_key_pem"] == created["private_key_pem"] and kept["issuer"] == "https://other.example"
    rotated_inputs = INPUTS.model_copy(update={"token_signing_key_rotation": 1})
    rotated = signing_key_outputs(rotated_inputs, INPUTS, created)
    assert rotated["key_id"] != created["key_id"]
    assert rotated["private_key_pem"] != created["private_key_pem"]


def test_claims_use_the_routers_characters_and_counters_only_go_up() -> None:
    with pytest.raises(ValidationError):
        TokenSignerInputs(issuer="has space", audience="ep")
    with pytest.raises(ValidationError):
        TokenSignerInputs(issuer="https://ok", audience='"quoted"')
    lowered = INPUTS.model_copy(update={"token_signing_key_rotation": 0})
    raised = INPUTS.model_copy(update={"token_signing_key_rotation": 3})
    (problem,) = rotation_problems(raised, lowered)
    assert problem.property == "token_signing_key_rotation"
