"""API keys: strength, format, hashes, and which key a rotation replaces."""

from __future__ import annotations

import base64
import hashlib
import re

from provider.api_key_state import (
    ApiKeysInputs,
    api_key_outputs,
    api_key_sha256,
    new_api_key,
    rotation_problems,
)


def test_a_key_is_256_random_bits_url_safe() -> None:
    key = new_api_key()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    assert len(base64.urlsafe_b64decode(key + "=")) == 32
    assert len({new_api_key() for _ in range(50)}) == 50


def test_the_hash_is_lowercase_hex_sha256_of_the_key() -> None:
    key = new_api_key()
    assert api_key_sha256(key) == hashlib.sha256(key.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", api_key_sha256(key))


def test_create_makes_two_different_keys_with_hashes() -> None:
    outputs = api_key_outputs(ApiKeysInputs(), None, {})
    assert outputs["primary_key"] != outputs["secondary_key"]
    for name in ("primary_key", "secondary_key"):
        assert outputs[f"{name}_sha256"] == api_key_sha256(outputs[name])
    assert outputs["primary_key_rotation"] == 0 and outputs["secondary_key_rotation"] == 0


def test_raising_one_counter_replaces_that_key_only() -> None:
    created = api_key_outputs(ApiKeysInputs(), None, {})
    rotated = api_key_outputs(ApiKeysInputs(secondary_key_rotation=1), ApiKeysInputs(), created)
    assert rotated["primary_key"] == created["primary_key"]
    assert rotated["secondary_key"] != created["secondary_key"]
    assert rotated["secondary_key_sha256"] == api_key_sha256(rotated["secondary_key"])


def test_unchanged_counters_keep_both_keys() -> None:
    created = api_key_outputs(ApiKeysInputs(), None, {})
    assert api_key_outputs(ApiKeysInputs(), ApiKeysInputs(), created) == created


def test_counters_arrive_as_floats_and_only_go_up() -> None:
    assert ApiKeysInputs.model_validate({"primary_key_rotation": 2.0}).primary_key_rotation == 2
    old, new = ApiKeysInputs(primary_key_rotation=2), ApiKeysInputs(primary_key_rotation=1)
    (problem,) = rotation_problems(old, new)
    assert problem.property == "primary_key_rotation"
