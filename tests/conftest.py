"""Shared fixtures: stack configs and a factory for small valid specs."""

from __future__ import annotations

from typing import Any

import pytest

from offline.program import read_stack_config


@pytest.fixture
def dev_config() -> dict[str, Any]:
    return read_stack_config("dev")


@pytest.fixture
def gpu_config() -> dict[str, Any]:
    return read_stack_config("gpu")
