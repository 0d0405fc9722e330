"""ES256 token-signing keys: make a P-256 key pair, load one from PEM, and name it by its key id.

The private key signs tokens (`credentials.tokens.get_token`); the public key (PEM
SubjectPublicKeyInfo, what HAProxy's `jwt_verify` reads) goes to the router. The dynamic provider
keeps a deployed pair in Pulumi's secret state; local mode keeps its pair in the run directory.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "SigningKey",
    "key_id",
    "load_signing_key",
    "new_signing_key",
    "signing_key_from_pem",
]


@dataclass(frozen=True)
class SigningKey:
    """A key pair as PEM text. `repr` leaves the private key out."""

    private_key_pem: str = field(repr=False)
    public_key_pem: str
    key_id: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 public key: the `kid`."""
    numbers = public_key.public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def _pair(private_key: ec.EllipticCurvePrivateKey) -> SigningKey:
    public_key = private_key.public_key()
    return SigningKey(
        private_key_pem=private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
        public_key_pem=public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii"),
        key_id=key_id(public_key),
    )


def new_signing_key() -> SigningKey:
    """A fresh P-256 key pair."""
    return _pair(ec.generate_private_key(ec.SECP256R1()))


def load_signing_key(private_key_pem: str) -> ec.EllipticCurvePrivateKey:
    """Parse a PEM private key; ValueError (without the key text) unless it is an ES256 key."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError("the token-signing key is not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the token-signing key is not a P-256 (ES256) private key")
    return key


def signing_key_from_pem(private_key_pem: str) -> SigningKey:
    """The whole pair (public key and key id recomputed) of a stored PEM private key; ValueError
    as `load_signing_key`."""
    return _pair(load_signing_key(private_key_pem))
