"""`python -m provider.get_token` against a faked `pulumi` CLI: the printed token verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import jwt
import pytest

from provider.get_token import main
from provider.signing_key_state import SigningKey
from tests.provider.conftest import FakePulumi
from tests.provider.provider_server import PROJECT_DIR


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provider.get_token", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
        env=os.environ.copy(),
        timeout=30,
    )


def test_the_command_prints_a_verifiable_token_as_json(
    fake_pulumi: FakePulumi, signing_key: SigningKey
) -> None:
    result = run_command("--stack", "dev", "--endpoint", "fraud", "--lifetime", "600", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"endpoint", "token", "refresh_by", "expires_at"}
    claims = jwt.decode(
        document["token"],
        signing_key.public_key_pem,
        algorithms=["ES256"],
        audience="fraud",
        issuer="https://fraud.example",
    )
    assert claims["exp"] - claims["iat"] == 600
    refresh_by = datetime.fromisoformat(document["refresh_by"])
    assert refresh_by.timestamp() == claims["iat"] + 480
    assert datetime.fromisoformat(document["expires_at"]) == datetime.fromtimestamp(claims["exp"], UTC)
    assert "--show-secrets" in fake_pulumi.argv and fake_pulumi.argv[-2:] == ["--stack", "dev"]
    assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_plain_output_is_the_token_then_refresh_by(
    fake_pulumi: FakePulumi, signing_key: SigningKey, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stack", "dev", "--endpoint", "fraud"]) == 0
    token, refresh_by = capsys.readouterr().out.splitlines()
    claims = jwt.decode(token, signing_key.public_key_pem, algorithms=["ES256"], audience="fraud")
    assert claims["exp"] - claims["iat"] == 3600
    assert datetime.fromisoformat(refresh_by) < datetime.fromtimestamp(claims["exp"], UTC)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", "dev", "--endpoint", "churn"], "exports no token_signing_key"),
        (["--stack", "prod", "--endpoint", "fraud"], "no stack named prod"),
        (["--stack", "dev", "--endpoint", "fraud", "--lifetime", "0"], "at least one second"),
    ],
)
def test_failures_exit_1_with_a_message_and_no_key(
    fake_pulumi: FakePulumi, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and "PRIVATE KEY" not in captured.err
