"""Fixtures for the scoring tests: the inference server's virtualenv, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scoring.inference_server_venv import inference_server_python


@pytest.fixture(scope="session")
def azmlinfsrv_python() -> Path:
    """Python of a cached virtualenv with azureml-inference-server-http (built on first use)."""
    return inference_server_python()
