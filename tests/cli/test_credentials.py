"""`keys` and `get-token` against a deployed stack's outputs (a fake `pulumi` on PATH), and the
choice between a local run and the deployed stack."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from cli.main import main
from provider.signing_key_state import SigningKey, new_signing_key
from tests.provider.conftest import FakePulumi


@pytest.fixture
def signing_key() -> SigningKey:
    return new_signing_key()


@pytest.fixture
def deployed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_key: SigningKey
) -> FakePulumi:
    """Stack `dev` deployed, its outputs as the stack program exports them; no local run."""
    fake = FakePulumi(
        tmp_path,
        {
            "effective_traffic": {"mynewendpoint": {"versiona": 90.0, "versionb": 10.0}},
            "endpoints": {
                "mynewendpoint": {
                    "token_issuer": "model-endpoints",
                    "token_audience": "mynewendpoint",
                }
            },
            "keys": {
                "mynewendpoint": {
                    "primary_key": "deployed-primary",
                    "secondary_key": "deployed-secondary",
                }
            },
            "token_signing_keys": {
                "mynewendpoint": {"token_signing_key": signing_key.private_key_pem}
            },
        },
    )
    monkeypatch.setenv("PATH", fake.path)
    monkeypatch.setenv("MODEL_ENDPOINTS_RUN_DIR", str(tmp_path / "runs"))
    return fake


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main([*argv, "--json"]) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def test_keys_of_the_deployed_stack_when_no_local_run_is_up(
    deployed: FakePulumi, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _json(capsys, "keys", "--stack", "dev")
    assert document == {
        "stack": "dev",
        "endpoint": "mynewendpoint",
        "target": "stack",
        "primary_key": "deployed-primary",
        "secondary_key": "deployed-secondary",
    }
    assert "--show-secrets" in deployed.argv


def test_a_token_from_the_deployed_stack_verifies_with_its_key(
    deployed: FakePulumi, signing_key: SigningKey, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _json(
        capsys, "get-token", "--stack", "dev", "--endpoint", "mynewendpoint", "--lifetime", "600"
    )
    claims = jwt.decode(
        str(document["token"]),
        signing_key.public_key_pem,
        algorithms=["ES256"],
        audience="mynewendpoint",
        issuer="model-endpoints",
    )
    assert claims["exp"] - claims["iat"] == 600 and document["target"] == "stack"


def test_forcing_the_local_target_without_a_local_run(
    deployed: FakePulumi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "--stack", "dev", "--target", "local"]) == 1
    assert "stack dev is not running locally" in capsys.readouterr().err


def test_an_unknown_endpoint_is_named(
    deployed: FakePulumi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "--stack", "dev", "--endpoint", "nope"]) == 1
    assert "has no endpoint 'nope' (endpoints: mynewendpoint)" in capsys.readouterr().err


def test_without_pulumi_or_a_local_run_the_message_says_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi
    monkeypatch.setenv("MODEL_ENDPOINTS_RUN_DIR", str(tmp_path / "runs"))
    assert main(["get-token", "--stack", "dev"]) == 1
    error = capsys.readouterr().err
    assert "install the Pulumi CLI" in error and "local up --stack dev" in error
