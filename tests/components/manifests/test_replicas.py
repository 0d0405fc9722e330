"""The seed's replica formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.manifests.replicas import required_replicas


def test_seed_example() -> None:
    # 20 rps x 10 s / 0.7 = 285.7 concurrent requests -> 286 replicas of 1 request each.
    assert required_replicas(20, 10, 70, 1) == 286


def test_more_concurrency_per_replica_needs_fewer_replicas() -> None:
    assert required_replicas(20, 10, 70, 4) == math.ceil(20 * 10 / 0.7 / 4)


def test_exact_fit_does_not_round_up() -> None:
    assert required_replicas(7, 1, 70, 1) == 10  # 7 / 0.7 = 10, not 11 from float noise


@given(
    rps=st.floats(0, 10_000),
    seconds=st.floats(0, 60),
    utilization=st.integers(1, 100),
    per_replica=st.integers(1, 64),
)
def test_replicas_cover_the_load_at_target_utilization(
    rps: float, seconds: float, utilization: int, per_replica: int
) -> None:
    replicas = required_replicas(rps, seconds, utilization, per_replica)
    assert replicas >= 1
    capacity = replicas * per_replica * utilization / 100
    assert capacity >= rps * seconds * (1 - 1e-9)
    if replicas > 1:  # one fewer replica would not do
        assert (replicas - 1) * per_replica * utilization / 100 < rps * seconds * (1 + 1e-9)


@pytest.mark.parametrize("utilization", [0, 101])
def test_utilization_out_of_range(utilization: int) -> None:
    with pytest.raises(ValueError, match="target_utilization"):
        required_replicas(1, 1, utilization, 1)
