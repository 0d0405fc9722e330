"""A fake API server per test, and a kubeconfig file pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kube_adapter.fake_api_server import FakeApiServer, running_api_server
from tests.kube_adapter.kubeconfigs import kubeconfig, write_kubeconfig


@pytest.fixture
def api_server() -> Iterator[FakeApiServer]:
    with running_api_server() as server:
        yield server
    assert server.unexpected == [], "the adapter sent requests the API has no route for"


@pytest.fixture
def kubeconfig_path(api_server: FakeApiServer, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", kubeconfig(api_server.url))
