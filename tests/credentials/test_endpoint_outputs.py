"""Finding an endpoint's keys and token settings in a stack's outputs, and which endpoint is meant."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.endpoint_outputs import (
    api_key_pair,
    chosen_endpoint,
    endpoint_outputs,
    token_settings,
)
from credentials.signing_keys import SigningKey
from credentials.stack_outputs import StackOutputError


@pytest.fixture
def outputs(signing_key: SigningKey) -> dict[str, Any]:
    """As the stack program exports them: plain fields under `endpoints`, secrets apart."""
    return {
        "endpoints": {
            "fraud": {
                "namespace": "fraud",
                "token_issuer": "https://fraud.example",
                "token_audience": "fraud",
            },
            "churn": {"namespace": "churn"},
        },
        "keys": {"fraud": {"primary_key": "p-key", "secondary_key": "s-key"}},
        "token_signing_keys": {"fraud": {"token_signing_key": signing_key.private_key_pem}},
        "effective_traffic": {"fraud": {"v1": 100.0}},
    }


def test_per_endpoint_maps_of_every_export_are_merged(
    outputs: dict[str, Any], signing_key: SigningKey
) -> None:
    merged = endpoint_outputs(outputs, "fraud")  # also effective_traffic.fraud: names the key never has
    assert {
        *("namespace", "token_issuer", "token_audience", "token_signing_key", "v1"),
        *("primary_key", "secondary_key"),
    } == set(merged)
    settings = token_settings(outputs, "fraud")
    assert settings.signing_key_pem == signing_key.private_key_pem
    assert (settings.issuer, settings.audience) == ("https://fraud.example", "fraud")
    assert "PRIVATE" not in repr(settings)


def test_the_api_keys_are_found_and_kept_out_of_the_repr(outputs: dict[str, Any]) -> None:
    keys = api_key_pair(outputs, "fraud")
    assert (keys.primary_key, keys.secondary_key) == ("p-key", "s-key")
    assert "p-key" not in repr(keys) and "s-key" not in repr(keys)


def test_an_endpoint_without_keys_says_auth_is_off(outputs: dict[str, Any]) -> None:
    with pytest.raises(StackOutputError, match="endpoint churn has no API keys: its auth_enabled is false"):
        api_key_pair(outputs, "churn")


@pytest.mark.parametrize("find", [token_settings, api_key_pair])
def test_an_unknown_endpoint_lists_the_known_ones(outputs: dict[str, Any], find: Any) -> None:
    with pytest.raises(StackOutputError, match=r"no endpoint 'nope' \(endpoints: churn, fraud\)"):
        find(outputs, "nope")


def test_an_endpoint_without_token_settings_says_what_is_missing(outputs: dict[str, Any]) -> None:
    missing = "'churn' exports no token_signing_key, token_issuer, token_audience"
    with pytest.raises(StackOutputError, match=missing):
        token_settings(outputs, "churn")


def test_an_unusable_signing_key_is_refused_without_echoing_it(outputs: dict[str, Any]) -> None:
    damaged = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"
    outputs["token_signing_keys"]["fraud"]["token_signing_key"] = damaged
    with pytest.raises(StackOutputError, match="'fraud' exports an unusable token_signing_key") as caught:
        token_settings(outputs, "fraud")
    assert "BEGIN" not in str(caught.value)


def test_the_endpoint_is_the_named_one_or_the_only_one(outputs: dict[str, Any]) -> None:
    assert chosen_endpoint(outputs, "churn", stack="dev") == "churn"
    with pytest.raises(StackOutputError, match=r"stack dev has no endpoint 'nope' \(endpoints: churn, fraud\)"):
        chosen_endpoint(outputs, "nope", stack="dev")
    with pytest.raises(StackOutputError, match=r"several endpoints \(churn, fraud\): choose one with --endpoint"):
        chosen_endpoint(outputs, None, stack="dev")
    del outputs["endpoints"]["churn"]
    assert chosen_endpoint(outputs, None, stack="dev") == "fraud"


def test_without_an_endpoints_export_the_endpoint_must_be_named(outputs: dict[str, Any]) -> None:
    del outputs["endpoints"]
    assert chosen_endpoint(outputs, "fraud", stack="dev") == "fraud"
    with pytest.raises(StackOutputError, match="exports no endpoints: name one with --endpoint"):
        chosen_endpoint(outputs, None, stack="dev")
