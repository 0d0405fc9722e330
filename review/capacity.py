"""Accelerators a stack's versions may ask of each node pool, against what the pool has.

The spec refuses a single version that cannot fit its pool (`specification.placement`); versions
sharing a pool can still ask for more together than it has, which only shows as pods stuck in
Pending under load. A reviewer sees both numbers here, before and after, computed with the
spec's own request rule (`accelerator_request`) and its replica ceiling (`max_replicas`).
"""

from __future__ import annotations

from dataclasses import dataclass

from review.report import PoolCapacity
from specification.placement import accelerator_request
from specification.skus import AcceleratorKind
from specification.stack import StackSpec

__all__ = ["PoolDemand", "pool_capacity", "pool_demand"]


@dataclass(frozen=True)
class PoolDemand:
    """One accelerator pool's capacity at `max_nodes` and what its versions ask at most."""

    sku: str
    resource: str
    capacity: int
    asked: int
    asked_by: tuple[str, ...]


def pool_demand(spec: StackSpec) -> dict[str, PoolDemand]:
    """`{pool: demand}` for every pool with an accelerator."""
    demand: dict[str, PoolDemand] = {}
    for pool in spec.node_pools:
        if pool.accelerator is AcceleratorKind.NONE:
            continue
        asked, by = 0, []
        for endpoint in spec.endpoints:
            for version in endpoint.versions:
                request = accelerator_request(version, pool) if version.node_pool == pool.name else None
                if request is None:
                    continue
                asked += version.max_replicas * request.count
                by.append(f"{endpoint.name}/{version.name}: {version.max_replicas} x {request.count}")
        demand[pool.name] = PoolDemand(
            pool.sku_spec.name,
            pool.resource_name,
            pool.max_nodes * pool.accelerators_per_node,
            asked,
            tuple(by),
        )
    return demand


def pool_capacity(before: StackSpec | None, after: StackSpec) -> tuple[PoolCapacity, ...]:
    """Per accelerator pool of either config, sorted by name: asked and capacity, before and after."""
    old = pool_demand(before) if before is not None else {}
    new = pool_demand(after)
    rows = []
    for name in sorted(set(old) | set(new)):
        was, now = old.get(name), new.get(name)
        shown = now or was
        assert shown is not None
        rows.append(
            PoolCapacity(
                pool=name,
                sku=shown.sku,
                resource=shown.resource,
                asked_before=was.asked if was else None,
                asked_after=now.asked if now else None,
                capacity_before=was.capacity if was else None,
                capacity_after=now.capacity if now else None,
                asked_by=shown.asked_by,
            )
        )
    return tuple(rows)
