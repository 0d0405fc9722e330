"""The GKE node pool a `cloud: gke` node pool creates (pulumi-gcp).

A pool of the SKU's machine type in an existing cluster, autoscaled between the pool's
`min_nodes` and `max_nodes` in total (across zones), with the pool's labels and taints. GPU SKUs
get the SKU's guest accelerators with GKE's managed driver install; GKE also runs the device
plugin there, so the pool deploys none. GKE sets `node.kubernetes.io/instance-type` to the
machine type.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.cloud_pools.sdk import load_cloud_sdk
from specification.node_pool import NodePoolSpec, Taint
from specification.skus import AcceleratorKind

__all__ = ["NODE_POOL_TYPE", "IGNORED_CHANGES", "gke_taint", "node_pool_args", "create_node_pool"]

NODE_POOL_TYPE = "gcp:container/nodePool:NodePool"
# Create-only (a change would replace the pool) and moved by the autoscaler afterwards.
IGNORED_CHANGES = ["initialNodeCount"]
_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def gke_taint(taint: Taint) -> dict[str, str]:
    """A taint as the GKE API writes it (effects in upper snake case)."""
    return {"key": taint.key, "value": taint.value, "effect": _EFFECTS[taint.effect]}


def node_pool_args(spec: NodePoolSpec) -> dict[str, Any]:
    """The NodePool's inputs (the SDK's keyword arguments) for `spec`."""
    gke = spec.gke
    assert gke is not None, "cloud 'gke' has its settings (NodePoolSpec checks)"
    sku = spec.sku_spec
    node_config: dict[str, Any] = {
        "machine_type": sku.name,
        "labels": dict(spec.labels),
        "taints": [gke_taint(taint) for taint in spec.effective_taints],
    }
    if spec.accelerator is AcceleratorKind.GPU:
        node_config["guest_accelerators"] = [
            {
                "type": sku.accelerator_type,
                "count": sku.accelerators_per_node,
                "gpu_driver_installation_config": {"gpu_driver_version": gke.gpu_driver_version},
            }
        ]
    args: dict[str, Any] = {
        "project": gke.project,
        "location": gke.location,
        "cluster": gke.cluster,
        "name": spec.cloud_pool_name,
        # totals, not per-zone counts: max_nodes is what the capacity check counts on
        "autoscaling": {"total_min_node_count": spec.min_nodes, "total_max_node_count": spec.max_nodes},
        "node_config": node_config,
    }
    if gke.zonal:
        # GKE counts initial nodes per zone: only in one zone is that the pool's min_nodes. A
        # regional pool starts empty and the autoscaler adds nodes as versions' pods wait.
        args["initial_node_count"] = spec.min_nodes
    return args


def create_node_pool(name: str, spec: NodePoolSpec, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """Register the GKE node pool of `spec` as `name`."""
    container = load_cloud_sdk("gke", spec.name)
    options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=IGNORED_CHANGES))
    pool: pulumi.CustomResource = container.NodePool(name, opts=options, **node_pool_args(spec))
    return pool
