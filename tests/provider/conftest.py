"""Fixtures for the provider tests: the SDK's provider server, a mock monitor that records the
`additional_secret_outputs` each registration asks the engine for, and a fake Kubernetes API
server with a kubeconfig for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import offline.program
from offline.recording import RecordingMonitor
from provider.traffic_split import TrafficSplitProvider
from tests.kube_adapter.fake_api_server import FakeApiServer, running_api_server
from tests.kube_adapter.kubeconfigs import kubeconfig
from tests.provider.provider_server import ProviderClient, ProviderServer


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


# A bearer token only the fake API server and the kubeconfig know: tests look for it (and for the
# kubeconfig text) in every output and error message, where it must never appear.
CLUSTER_TOKEN = "kubeconfig-token-4f1d9c0e7b"


@pytest.fixture
def client(provider_server: ProviderServer) -> ProviderClient:
    """A TrafficSplit's provider, as the engine reaches it through the SDK's provider server."""
    client = ProviderClient(provider_server, TrafficSplitProvider(), "TrafficSplit")
    client.configure()
    return client


@pytest.fixture
def api_server() -> Iterator[FakeApiServer]:
    """A fake Kubernetes API server on 127.0.0.1 that requires `CLUSTER_TOKEN`."""
    with running_api_server(FakeApiServer(token=CLUSTER_TOKEN)) as server:
        yield server
    assert server.unexpected == [], "requests the API has no route for"


@pytest.fixture
def kubeconfig_text(api_server: FakeApiServer) -> str:
    """A kubeconfig, as the text a stack's `kubernetes:kubeconfig` may hold, for the fake."""
    return yaml.safe_dump(kubeconfig(api_server.url, {"token": CLUSTER_TOKEN}))
