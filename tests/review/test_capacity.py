"""Accelerators asked of a pool by all its versions together, against what the pool has."""

from __future__ import annotations

from typing import Any

from review.capacity import pool_capacity, pool_demand
from specification.stack import StackSpec


def _stack(max_nodes: int, *replicas: int) -> StackSpec:
    versions: list[dict[str, Any]] = [
        {
            "name": f"v{index}",
            "image": "registry.example.com/m:1",
            "node_pool": "a100",
            "gpu_cores": 2,
            "num_replicas": count,
        }
        for index, count in enumerate(replicas)
    ]
    return StackSpec.model_validate(
        {
            "nodePools": [
                {"name": "a100", "sku": "Standard_NC48ads_A100_v4", "max_nodes": max_nodes},
                {"name": "cpu", "sku": {"name": "D4s"}},
            ],
            "endpoints": [{"name": "e", "versions": versions}],
        }
    )


def test_versions_that_each_fit_can_together_ask_for_more_than_the_pool_has() -> None:
    stack = _stack(2, 2, 2)  # 2 nodes x 2 A100 = 4; each version fits (2 x 2), together 8
    demand = pool_demand(stack)
    assert set(demand) == {"a100"}  # the CPU pool has nothing to ask for
    assert (demand["a100"].asked, demand["a100"].capacity) == (8, 4)
    assert demand["a100"].asked_by == ("e/v0: 2 x 2", "e/v1: 2 x 2")
    (row,) = pool_capacity(_stack(2, 2), stack)
    assert (row.asked_before, row.asked_after, row.capacity_after) == (4, 8, 4)
    assert row.over_capacity
    (row,) = pool_capacity(None, _stack(4, 2, 2))
    assert row.asked_before is None and not row.over_capacity
