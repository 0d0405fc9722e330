"""The TokenSigner rules: when the key pair is replaced, the claims' characters, counters only up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from credentials.signing_keys import signing_key_from_pem
from provider.signing_key_rules import (
    TokenSignerInputs,
    rotation_problems,
    signing_key_outputs,
)

INPUTS = TokenSignerInputs(issuer="https://ep.example/issuer", audience="ep")


def test_create_makes_a_pair_whose_outputs_agree() -> None:
    created = signing_key_outputs(INPUTS, None, {})
    pair = signing_key_from_pem(created["private_key_pem"])
    assert (created["public_key_pem"], created["key_id"]) == (pair.public_key_pem, pair.key_id)
    assert (created["issuer"], created["audience"]) == ("https://ep.example/issuer", "ep")


def test_the_pair_is_kept_unless_the_counter_changes() -> None:
    created = signing_key_outputs(INPUTS, None, {})
    reissued = INPUTS.model_copy(update={"issuer": "https://other.example"})
    kept = signing_key_outputs(reissued, INPUTS, created)
    assert kept["private_key_pem"] == created["private_key_pem"] and kept["issuer"] == "https://other.example"
    rotated_inputs = INPUTS.model_copy(update={"token_signing_key_rotation": 1})
    rotated = signing_key_outputs(rotated_inputs, INPUTS, created)
    assert rotated["key_id"] != created["key_id"]
    assert rotated["private_key_pem"] != created["private_key_pem"]


def test_an_unusable_recorded_key_is_replaced() -> None:
    created = signing_key_outputs(INPUTS, None, {})
    damaged = {**created, "private_key_pem": "not a key"}
    repaired = signing_key_outputs(INPUTS, INPUTS, damaged)
    assert repaired["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
    assert repaired["key_id"] != created["key_id"]


def test_claims_use_the_routers_characters_and_counters_only_go_up() -> None:
    with pytest.raises(ValidationError):
        TokenSignerInputs(issuer="has space", audience="ep")
    with pytest.raises(ValidationError):
        TokenSignerInputs(issuer="https://ok", audience='"quoted"')
    lowered = INPUTS.model_copy(update={"token_signing_key_rotation": 0})
    raised = INPUTS.model_copy(update={"token_signing_key_rotation": 3})
    (problem,) = rotation_problems(raised, lowered)
    assert problem.property == "token_signing_key_rotation"
