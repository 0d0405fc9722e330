"""The token-signing key pair: formats, key id, loading, and secrets kept out of reprs and errors."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from credentials.signing_keys import (
    key_id,
    load_signing_key,
    new_signing_key,
    signing_key_from_pem,
)


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


def test_the_key_id_is_the_rfc_7638_thumbprint() -> None:
    # The public key of d = 1 is P-256's generator G; its JWK members in RFC 7638's order
    # (crv, kty, x, y), without spaces, hash to this (checked against PyJWT's own JWK encoding).
    public_key = ec.derive_private_key(1, ec.SECP256R1()).public_key()
    assert key_id(public_key) == "xx0BcA-wMohw8atYDJOe6peGModklG2wRHBlXHMvl0M"


def test_a_stored_private_key_gives_back_the_whole_pair() -> None:
    pair = new_signing_key()
    assert signing_key_from_pem(pair.private_key_pem) == pair


def test_only_p256_private_keys_load_and_errors_do_not_echo_the_text() -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(ValueError, match="not a P-256") as caught:
        load_signing_key(rsa_pem)
    assert "BEGIN" not in str(caught.value)
    with pytest.raises(ValueError, match="not a PEM private key"):
        load_signing_key("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="not a PEM private key"):
        signing_key_from_pem("not a key")
