"""`keys` and `get-token` against a deployed stack's outputs (a fake `pulumi` on PATH), and the
choice between a local run and the deployed stack."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from cli.main import main
from credentials.signing_keys import SigningKey, new_signing_key
from tests.credentials.fake_pulumi import FakePulumi


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
    assert main(
        [
            *("get-token", "--stack", "dev", "--endpoint", "mynewendpoint"),
            *("--lifetime", "600", "--cwd", "/project", "--json"),
        ]
    ) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert set(document) == {"stack", "endpoint", "target", "token", "refresh_by", "expires_at"}
    claims = jwt.decode(
        str(document["token"]),
        signing_key.public_key_pem,
        algorithms=["ES256"],
        audience="mynewendpoint",
        issuer="model-endpoints",
    )
    assert claims["exp"] - claims["iat"] == 600 and document["target"] == "stack"
    assert datetime.fromisoformat(document["refresh_by"]).timestamp() == claims["iat"] + 480
    assert datetime.fromisoformat(document["expires_at"]) == datetime.fromtimestamp(claims["exp"], UTC)
    assert deployed.argv[-5:] == ["--show-secrets", "--stack", "dev", "--cwd", "/project"]
    assert "PRIVATE KEY" not in captured.out + captured.err


def test_without_json_the_token_then_refresh_by_go_to_the_terminal(
    deployed: FakePulumi, signing_key: SigningKey, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["get-token", "--stack", "dev", "--endpoint", "mynewendpoint", "--target", "stack"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout carries only the --json document
    token, details = captured.err.splitlines()
    claims = jwt.decode(token, signing_key.public_key_pem, algorithms=["ES256"], audience="mynewendpoint")
    assert claims["exp"] - claims["iat"] == 3600  # the default lifetime
    refresh_by = datetime.fromtimestamp(claims["iat"] + 2880, UTC)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    assert details == (
        f"endpoint mynewendpoint; refresh by {refresh_by.isoformat()}, expires {expires.isoformat()}"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["get-token", "--stack", "dev", "--endpoint", "keyless"],
            "endpoint 'keyless' exports no token_signing_key, token_issuer, token_audience: "
            "is token_auth_enabled true for it",
        ),
        (["keys", "--stack", "dev", "--endpoint", "keyless"], "endpoint keyless has no API keys"),
        (["get-token", "--stack", "dev"], "several endpoints (keyless, mynewendpoint)"),
        (
            ["get-token", "--stack", "prod", "--target", "stack"],
            "stack prod: pulumi stack output failed (exit 255): error: no stack named prod found",
        ),
    ],
)
def test_deployed_stack_failures_exit_1_with_one_message_and_no_key(
    deployed: FakePulumi, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    outputs = json.loads(deployed.outputs_file.read_text())
    outputs["endpoints"]["keyless"] = {"namespace": "keyless"}  # auth and token auth off
    deployed.set_outputs(outputs)
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    error = " ".join(captured.err.split())  # the console wraps long lines
    assert error.startswith("error: ") and message in error
    assert "PRIVATE KEY" not in captured.err and "Traceback" not in captured.err


def test_an_unusable_deployed_signing_key_is_named_not_printed(
    deployed: FakePulumi, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = json.loads(deployed.outputs_file.read_text())
    outputs["token_signing_keys"]["mynewendpoint"]["token_signing_key"] = "-----BEGIN PRIVATE KEY-----\nx\n"
    deployed.set_outputs(outputs)
    assert main(["get-token", "--stack", "dev", "--endpoint", "mynewendpoint"]) == 1
    error = capsys.readouterr().err
    assert "exports an unusable token_signing_key" in error and "BEGIN" not in error


@pytest.mark.parametrize("lifetime", ["0", "-5", "soon"])
def test_a_bad_lifetime_is_bad_usage(
    deployed: FakePulumi, capsys: pytest.CaptureFixture[str], lifetime: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["get-token", "--stack", "dev", "--lifetime", lifetime])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "argument --lifetime:" in error
    assert ("at least one second" if lifetime != "soon" else "not a whole number") in error


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


def test_asking_for_the_deployed_stack_gives_no_local_run_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi
    monkeypatch.setenv("MODEL_ENDPOINTS_RUN_DIR", str(tmp_path / "runs"))
    assert main(["keys", "--stack", "dev", "--target", "stack"]) == 1
    error = capsys.readouterr().err
    assert "stack dev: 'pulumi' not found on PATH: install the Pulumi CLI" in error
    assert "local up" not in error
