"""Seed units to Kubernetes quantities."""

from __future__ import annotations

import pytest

from components.manifests.quantities import cpu_quantity, memory_quantity


@pytest.mark.parametrize(("cores", "quantity"), [(0.1, "100m"), (1, "1"), (2.5, "2500m"), (0.001, "1m")])
def test_cpu_quantity(cores: float, quantity: str) -> None:
    assert cpu_quantity(cores) == quantity


@pytest.mark.parametrize(("gb", "quantity"), [(0.5, "512Mi"), (0.2, "205Mi"), (2, "2Gi"), (12, "12Gi")])
def test_memory_quantity(gb: float, quantity: str) -> None:
    assert memory_quantity(gb) == quantity


def test_below_resolution_is_an_error_not_zero() -> None:
    with pytest.raises(ValueError, match="1m resolution"):
        cpu_quantity(0.0001)
    with pytest.raises(ValueError, match="below 1Mi"):
        memory_quantity(0.0001)
