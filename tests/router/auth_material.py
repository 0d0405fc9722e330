"""Credentials for the router auth tests: API keys and their digests, ES256 JWTs minted by PyJWT or
byte by byte (any header, any payload text, raw or DER signature), and the Bearer header."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from router import ApiKeyHashes

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "KEYS",
    "PRIMARY",
    "SECONDARY",
    "b64url",
    "bearer",
    "claims",
    "es256_token",
    "token",
]

PRIMARY = "pk_3f1c2a9d8e7b6a5c4d3e2f1a0b9c8d7e"
SECONDARY = "sk_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ISSUER = "https://issuer.example"
AUDIENCE = "model-endpoint"
KEYS = ApiKeyHashes(
    primary=hashlib.sha256(PRIMARY.encode()).hexdigest(),
    secondary=hashlib.sha256(SECONDARY.encode()).hexdigest(),
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: object) -> dict[str, object]:
    """Valid claims for ISSUER/AUDIENCE, living five minutes; an override of None drops a claim."""
    now = int(time.time())
    values: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-1",
        "iat": now,
        "exp": now + 300,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def token(key: ec.EllipticCurvePrivateKey, **overrides: object) -> str:
    """A token as our signer mints it (PyJWT, ES256) with `claims(**overrides)`."""
    return jwt.encode(claims(**overrides), key, algorithm="ES256")


def es256_token(
    key: ec.EllipticCurvePrivateKey,
    payload: bytes,
    header: dict[str, str] | None = None,
    *,
    der_signature: bool = False,
) -> str:
    """A JWS signed with `key` (ECDSA P-256, SHA-256) over exactly `payload` and `header`
    (default `{"alg":"ES256","typ":"JWT"}`): the signature is JWS's raw r||s, or with
    `der_signature` the DER encoding other ECDSA tools produce."""
    signing_input = (
        f"{b64url(json.dumps(header or {'alg': 'ES256', 'typ': 'JWT'}).encode())}."
        f"{b64url(payload)}"
    )
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    if der_signature:
        signature = der
    else:
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{b64url(signature)}"


def bearer(credential: str) -> dict[str, str]:
    return {"authorization": f"Bearer {credential}"}
