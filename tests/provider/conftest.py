"""Fixtures for the provider tests: the SDK's provider server, and a mock monitor that records the
`additional_secret_outputs` each registration asks the engine for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import offline.program
from offline.recording import RecordingMonitor
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
