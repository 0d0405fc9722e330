"""Fixtures for the local runtime tests: command-line runs stopped in `finally`, haproxy present,
and the dev stack's model files trained (as `make demo` trains them)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_runtime.haproxy import haproxy_binary
from tests.local_runtime.local_run_harness import LocalRuns


@pytest.fixture(scope="session")
def haproxy_installed() -> str:
    return haproxy_binary()  # fails (never skips) with the install command when it is missing


DEV_TRAINING_SCRIPT = Path(__file__).resolve().parents[2] / "stacks" / "models" / "train_demo_models.py"


@pytest.fixture(scope="session")
def demo_models() -> None:
    """The dev stack's model files (`stacks/models/artifacts/`), which its versions serve."""
    subprocess.run([sys.executable, str(DEV_TRAINING_SCRIPT)], check=True, capture_output=True)


@pytest.fixture
def local_runs(
    tmp_path_factory: pytest.TempPathFactory, haproxy_installed: str, demo_models: None
) -> Iterator[LocalRuns]:
    # tmp_path_factory: a short path of plain characters (the router config admits no others)
    runs = LocalRuns(tmp_path_factory.mktemp("runs"))
    try:
        yield runs
    finally:
        runs.cleanup()
