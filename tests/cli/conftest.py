"""Fixtures for the command-line tests: runs through the installed console script."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.local_runtime.conftest import demo_models, haproxy_installed, local_runs
from tests.local_runtime.local_run_harness import LocalRuns

__all__ = ["console_runs", "demo_models", "haproxy_installed", "local_runs"]


@pytest.fixture
def console_runs(
    tmp_path_factory: pytest.TempPathFactory, haproxy_installed: str, demo_models: None
) -> Iterator[LocalRuns]:
    """Like `local_runs`, through the `model-endpoints` console script of this environment."""
    runs = LocalRuns(tmp_path_factory.mktemp("runs"), console_script=True)
    try:
        yield runs
    finally:
        runs.cleanup()
