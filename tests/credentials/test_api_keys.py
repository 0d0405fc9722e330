"""API keys: strength, format, and the hash the router compares against."""

from __future__ import annotations

import base64
import hashlib
import re

from credentials.api_keys import api_key_sha256, new_api_key


def test_a_key_is_256_random_bits_url_safe() -> None:
    key = new_api_key()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    assert len(base64.urlsafe_b64decode(key + "=")) == 32
    assert len({new_api_key() for _ in range(50)}) == 50


def test_the_hash_is_lowercase_hex_sha256_of_the_key() -> None:
    key = new_api_key()
    assert api_key_sha256(key) == hashlib.sha256(key.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", api_key_sha256(key))
