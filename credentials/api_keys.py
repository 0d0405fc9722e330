"""API keys: how a key is made and the hash the router compares requests against.

One place for both, so the dynamic provider (deployed keys) and local mode make the same keys and
the router, which holds only hashes, accepts either.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["API_KEY_BYTES", "api_key_sha256", "new_api_key"]

API_KEY_BYTES = 32  # 256 bits from the OS's CSPRNG


def new_api_key() -> str:
    """A fresh key: 256 random bits, URL-safe base64 (43 characters, usable in a header as is)."""
    return secrets.token_urlsafe(API_KEY_BYTES)


def api_key_sha256(key: str) -> str:
    """The lowercase hex SHA-256 of the key's UTF-8 bytes: what the router compares against."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
