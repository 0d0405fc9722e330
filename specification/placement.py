"""Rules that join versions to node pools: the pool exists, accelerators match, replicas fit.

Pure functions over specs, used by `StackSpec` (config validation) and by the `Endpoint`
component (for programs that build endpoints directly), so both fail with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.skus import AcceleratorKind
from specification.version import VersionSpec

__all__ = ["AcceleratorRequest", "accelerator_request", "placement_errors", "check_placement"]


@dataclass(frozen=True)
class AcceleratorRequest:
    """What one replica of a version asks of its node: `count` units of `resource`."""

    resource: str
    count: int


def accelerator_request(version: VersionSpec, pool: NodePoolSpec | None) -> AcceleratorRequest | None:
    """The extended resource a replica requests: its GPUs, or one FPGA on an FPGA pool."""
    if pool is None:
        return None
    if pool.accelerator is AcceleratorKind.GPU and version.gpu_cores > 0:
        return AcceleratorRequest(pool.resource_name, version.gpu_cores)
    if pool.accelerator is AcceleratorKind.FPGA:
        return AcceleratorRequest(pool.resource_name, 1)
    return None


def _version_errors(version: VersionSpec, pools: Mapping[str, NodePoolSpec], path: str) -> list[str]:
    if version.node_pool is None:
        if version.gpu_cores > 0:
            return [
                f"{path}.gpu_cores: {version.gpu_cores} GPUs need node_pool naming a pool whose "
                "SKU has GPUs"
            ]
        return []
    pool = pools.get(version.node_pool)
    if pool is None:
        known = ", ".join(sorted(pools)) or "none declared"
        return [f"{path}.node_pool: no node pool named {version.node_pool!r} (pools: {known})"]
    sku = pool.sku_spec
    if version.gpu_cores > 0 and pool.accelerator is not AcceleratorKind.GPU:
        return [
            f"{path}.gpu_cores: {version.gpu_cores} GPUs requested but pool {pool.name!r} "
            f"(SKU {sku.name}) has no GPUs ({pool.accelerator.value})"
        ]
    request = accelerator_request(version, pool)
    if request is None:
        return []
    per_node = pool.accelerators_per_node
    if request.count > per_node:
        return [
            f"{path}.gpu_cores: one replica needs {request.count} accelerators but a {sku.name} "
            f"node has {per_node}; a pod cannot span nodes"
        ]
    fits = pool.max_nodes * (per_node // request.count)
    if version.max_replicas > fits:
        field = "autoscale_max_replicas" if version.autoscaled else "num_replicas"
        return [
            f"{path}.{field}: {version.max_replicas} replicas x {request.count} {request.resource} "
            f"= {version.max_replicas * request.count} accelerators, but pool {pool.name!r} has "
            f"{pool.max_nodes} nodes x {per_node} = {pool.max_nodes * per_node} and fits at most "
            f"{fits} such replicas; lower {field} or raise the pool's max_nodes"
        ]
    return []


def placement_errors(
    endpoint: EndpointSpec, pools: Mapping[str, NodePoolSpec], path: str = ""
) -> list[str]:
    """Every placement problem of `endpoint`'s versions, each naming its field path."""
    prefix = f"{path}." if path else ""
    errors: list[str] = []
    for index, version in enumerate(endpoint.versions):
        errors += _version_errors(version, pools, f"{prefix}versions[{index}]")
    return errors


def check_placement(endpoint: EndpointSpec, pools: Mapping[str, NodePoolSpec], path: str = "") -> None:
    """Raise ValueError listing every placement problem, if any."""
    errors = placement_errors(endpoint, pools, path)
    if errors:
        raise ValueError("; ".join(errors))
