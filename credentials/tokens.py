"""Mint an endpoint's access token (the seed's `get_token`): an ES256 JWT and its `refresh_by` time.

As in the seed, a client uses the token until `refresh_by`, then asks for a new one; `refresh_by`
falls at 80% of the lifetime, before `exp`, so a token in use never expires mid-request.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import jwt

from credentials.signing_keys import key_id, load_signing_key

__all__ = ["REFRESH_AT", "get_token", "token_expires_at"]

REFRESH_AT = 0.8  # fraction of the lifetime after which a client should get a new token


def get_token(
    private_key_pem: str,
    *,
    issuer: str,
    audience: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """`(token, refresh_by)`: a JWT signed with ES256 carrying `iss`, `aud`, `iat` and
    `exp = iat + lifetime` (whole seconds), with the key id in its header; `refresh_by` (UTC) is
    `iat + 80% of the lifetime`. `now` (default: the current time) must be timezone-aware.
    Raises ValueError for a lifetime under one second, a naive `now`, or a key that is not a
    P-256 private key."""
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    seconds = math.floor(lifetime.total_seconds())
    if seconds < 1:
        raise ValueError(f"lifetime must be at least one second, got {lifetime}")
    key = load_signing_key(private_key_pem)
    issued = math.floor((now or datetime.now(UTC)).timestamp())
    claims = {"iss": issuer, "aud": audience, "iat": issued, "exp": issued + seconds}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": key_id(key.public_key())})
    refresh_by = datetime.fromtimestamp(issued, UTC) + timedelta(seconds=seconds * REFRESH_AT)
    return token, refresh_by


def token_expires_at(token: str) -> datetime:
    """The token's `exp` as a UTC time, read without verifying the signature (for display: the
    router verifies it). ValueError unless the token is a JWT with a numeric `exp`."""
    try:
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    except (jwt.InvalidTokenError, KeyError):
        raise ValueError("not a JWT with an exp claim") from None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise ValueError("not a JWT with a numeric exp claim")
    return datetime.fromtimestamp(expires, UTC)
