"""Reading a stack's outputs through the (faked) Pulumi CLI and finding an endpoint's token settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.signing_key_state import SigningKey
from provider.stack_outputs import (
    StackOutputError,
    endpoint_outputs,
    read_stack_outputs,
    token_settings,
)
from tests.provider.conftest import FakePulumi


def test_reads_outputs_with_secrets_shown(fake_pulumi: FakePulumi) -> None:
    outputs = read_stack_outputs("dev", cwd="/somewhere")
    assert set(outputs) == {"endpoints", "endpoint_secrets", "effective_traffic"}
    assert fake_pulumi.argv == [
        *("stack", "output", "--json", "--show-secrets", "--stack", "dev", "--cwd", "/somewhere")
    ]


def test_cli_failures_are_reported_with_the_clis_message(fake_pulumi: FakePulumi) -> None:
    with pytest.raises(StackOutputError, match="exit 255.*no stack named prod"):
        read_stack_outputs("prod")
    fake_pulumi.outputs_file.write_text("warning: not json")
    with pytest.raises(StackOutputError, match="no JSON object"):
        read_stack_outputs("dev")


def test_a_missing_cli_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StackOutputError, match="'pulumi' not found on PATH"):
        read_stack_outputs("dev")


def test_per_endpoint_maps_of_every_export_are_merged(
    fake_pulumi: FakePulumi, signing_key: SigningKey
) -> None:
    outputs = read_stack_outputs("dev")
    merged = endpoint_outputs(outputs, "fraud")  # also effective_traffic.fraud: names the key never has
    assert {"namespace", "token_issuer", "token_audience", "token_signing_key", "v1"} == set(merged)
    settings = token_settings(outputs, "fraud")
    assert settings.signing_key_pem == signing_key.private_key_pem
    assert (settings.issuer, settings.audience) == ("https://fraud.example", "fraud")
    assert "PRIVATE" not in repr(settings)


def test_an_unknown_endpoint_lists_the_known_ones(fake_pulumi: FakePulumi) -> None:
    with pytest.raises(StackOutputError, match=r"no endpoint 'nope' \(endpoints: churn, fraud\)"):
        token_settings(read_stack_outputs("dev"), "nope")


def test_an_endpoint_without_token_settings_says_what_is_missing(fake_pulumi: FakePulumi) -> None:
    missing = "'churn' exports no token_signing_key, token_issuer, token_audience"
    with pytest.raises(StackOutputError, match=missing):
        token_settings(read_stack_outputs("dev"), "churn")
