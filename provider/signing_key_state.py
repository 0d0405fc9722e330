"""An endpoint's token-signing key: an ES256 (P-256) key pair, its key id, and when it is replaced.

The private key signs tokens (`get_token`) and never leaves Pulumi's secret state; the public key
(PEM SubjectPublicKeyInfo, what HAProxy's `jwt_verify` reads) and the issuer/audience go to the
router. Raising `token_signing_key_rotation` makes a new pair: tokens signed with the old key stop
verifying once the router has the new public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, ConfigDict, Field

from provider.problems import Problem
from provider.rotation import lowered_counter_problem
from provider.spec_fields import endpoint_field

__all__ = [
    "CLAIM_PATTERN",
    "SigningKey",
    "TokenSignerInputs",
    "new_signing_key",
    "load_signing_key",
    "key_id",
    "signing_key_outputs",
    "rotation_problems",
]

# The characters the router accepts in an `iss`/`aud` it writes into its ACLs; checked here too so
# a bad value fails at preview rather than when the router config is rendered.
CLAIM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}$"

Claim = Annotated[str, Field(pattern=CLAIM_PATTERN)]


class TokenSignerInputs(BaseModel):
    """Who issues the endpoint's tokens, for whom, and the key's rotation counter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: Claim = Field(description="The `iss` claim tokens carry and the router expects.")
    audience: Claim = Field(description="The `aud` claim tokens carry and the router expects.")
    token_signing_key_rotation: int = endpoint_field("token_signing_key_rotation")


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


def rotation_problems(old: TokenSignerInputs, new: TokenSignerInputs) -> list[Problem]:
    counter = "token_signing_key_rotation"
    problem = lowered_counter_problem(counter, getattr(old, counter), getattr(new, counter))
    return [problem] if problem is not None else []


def signing_key_outputs(
    new: TokenSignerInputs, old: TokenSignerInputs | None, old_outputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The inputs, the key pair and its id. The pair is kept from `old_outputs` unless the
    rotation counter changed (or the recorded key is unusable); a new issuer keeps the key."""
    keep = old is not None and old.token_signing_key_rotation == new.token_signing_key_rotation
    pair = None
    if keep and isinstance(old_outputs.get("private_key_pem"), str):
        try:
            pair = _pair(load_signing_key(old_outputs["private_key_pem"]))
        except ValueError:
            pair = None
    pair = pair or new_signing_key()
    return {
        **new.model_dump(mode="json"),
        "private_key_pem": pair.private_key_pem,
        "public_key_pem": pair.public_key_pem,
        "key_id": pair.key_id,
    }
