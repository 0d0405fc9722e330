"""Fixtures for the provider tests: the SDK's provider server, a mock monitor that records the
`additional_secret_outputs` each registration asks the engine for, and a fake `pulumi` CLI."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import offline.program
from offline.recording import RecordingMonitor
from provider.signing_key_state import SigningKey, new_signing_key
from tests.provider.provider_server import ProviderServer


@pytest.fixture(scope="session")
def provider_server() -> Iterator[ProviderServer]:
    """One `python -m pulumi.dynamic` for the session (it caches providers as the engine's does)."""
    server = ProviderServer()
    try:
        yield server
    finally:
        server.stop()


class SecretOutputsMonitor(RecordingMonitor):
    """RecordingMonitor that also keeps the `additionalSecretOutputs` of each registration (by
    resource name): the outputs the engine is asked to mark secret."""

    secret_outputs: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        type(self).secret_outputs[request.name] = list(request.additionalSecretOutputs)
        return super().RegisterResource(request)


@pytest.fixture
def secret_outputs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Make `run_under_mocks` use `SecretOutputsMonitor`; the returned dict fills as it runs."""
    SecretOutputsMonitor.secret_outputs = {}
    monkeypatch.setattr(offline.program, "RecordingMonitor", SecretOutputsMonitor)
    return SecretOutputsMonitor.secret_outputs


class FakePulumi:
    """A `pulumi` executable (a Python script) that prints `outputs` for stack `dev` and records
    its arguments; any other stack fails as the CLI does."""

    def __init__(self, directory: Path, outputs: dict[str, Any]) -> None:
        self.bin = directory / "bin"
        self.bin.mkdir()
        self.outputs_file = directory / "outputs.json"
        self.argv_file = directory / "argv.json"
        self.set_outputs(outputs)
        script = self.bin / "pulumi"
        script.write_text(
            f"#!{sys.executable}\n"
            "import json, pathlib, sys\n"
            f"pathlib.Path({str(self.argv_file)!r}).write_text(json.dumps(sys.argv[1:]))\n"
            "args = sys.argv[1:]\n"
            "if args[args.index('--stack') + 1] != 'dev':\n"
            "    stack = args[args.index('--stack') + 1]\n"
            "    print(f'error: no stack named {stack} found', file=sys.stderr)\n"
            "    sys.exit(255)\n"
            f"sys.stdout.write(pathlib.Path({str(self.outputs_file)!r}).read_text())\n"
        )
        script.chmod(0o755)

    def set_outputs(self, outputs: dict[str, Any]) -> None:
        self.outputs_file.write_text(json.dumps(outputs))

    @property
    def argv(self) -> list[str]:
        return json.loads(self.argv_file.read_text())

    @property
    def path(self) -> str:
        """A PATH on which this fake is the `pulumi` found first."""
        return f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture
def signing_key() -> SigningKey:
    return new_signing_key()


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_key: SigningKey) -> FakePulumi:
    """A fake `pulumi` first on PATH, exporting endpoint `fraud` as the stack program would:
    plain fields under `endpoints`, the secret key under a separate export."""
    fake = FakePulumi(
        tmp_path,
        {
            "endpoints": {
                "fraud": {
                    "namespace": "fraud",
                    "token_issuer": "https://fraud.example",
                    "token_audience": "fraud",
                },
                "churn": {"namespace": "churn"},
            },
            "endpoint_secrets": {"fraud": {"token_signing_key": signing_key.private_key_pem}},
            "effective_traffic": {"fraud": {"v1": 100.0}},
        },
    )
    monkeypatch.setenv("PATH", fake.path)
    return fake
