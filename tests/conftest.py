"""Shared fixtures: the example stacks' configs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.example_stacks import example_config


@pytest.fixture
def dev_config() -> dict[str, Any]:
    return example_config("dev")


@pytest.fixture
def gpu_config() -> dict[str, Any]:
    return example_config("gpu")
