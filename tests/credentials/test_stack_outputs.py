"""Reading a stack's outputs, secrets shown, through the (faked) Pulumi CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from credentials.stack_outputs import StackOutputError, read_stack_outputs
from tests.credentials.fake_pulumi import FakePulumi


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
    fake_pulumi.set_outputs(["a list"])  # type: ignore[arg-type]
    with pytest.raises(StackOutputError, match="no JSON object"):
        read_stack_outputs("dev")


def test_a_missing_cli_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StackOutputError, match="'pulumi' not found on PATH"):
        read_stack_outputs("dev")
