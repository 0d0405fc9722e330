"""The ApiKeys rules: which key a rotation replaces, and counters that only go up."""

from __future__ import annotations

from credentials.api_keys import api_key_sha256
from provider.api_key_rules import ApiKeysInputs, api_key_outputs, rotation_problems


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


def test_a_missing_recorded_key_is_made_anew() -> None:
    created = api_key_outputs(ApiKeysInputs(), None, {})
    damaged = {**created, "primary_key": ""}
    repaired = api_key_outputs(ApiKeysInputs(), ApiKeysInputs(), damaged)
    assert repaired["primary_key"] and repaired["primary_key"] != created["primary_key"]
    assert repaired["secondary_key"] == created["secondary_key"]


def test_counters_arrive_as_floats_and_only_go_up() -> None:
    assert ApiKeysInputs.model_validate({"primary_key_rotation": 2.0}).primary_key_rotation == 2
    old, new = ApiKeysInputs(primary_key_rotation=2), ApiKeysInputs(primary_key_rotation=1)
    (problem,) = rotation_problems(old, new)
    assert problem.property == "primary_key_rotation"
