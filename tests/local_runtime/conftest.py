"""Fixtures for the local runtime tests: command-line runs stopped in `finally`, haproxy present."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_runtime.haproxy import haproxy_binary
from tests.local_runtime.local_run_harness import LocalRuns


@pytest.fixture(scope="session")
def haproxy_installed() -> str:
    return haproxy_binary()  # fails (never skips) with the install command when it is missing


@pytest.fixture
def local_runs(
    tmp_path_factory: pytest.TempPathFactory, haproxy_installed: str
) -> Iterator[LocalRuns]:
    # tmp_path_factory: a short path of plain characters (the router config admits no others)
    runs = LocalRuns(tmp_path_factory.mktemp("runs"))
    try:
        yield runs
    finally:
        runs.cleanup()
