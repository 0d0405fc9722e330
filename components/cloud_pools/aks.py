"""The AKS agent pool a `cloud: aks` node pool creates (pulumi-azure-native).

A user-mode pool of the SKU's VM size in an existing cluster, scaled by AKS's cluster autoscaler
between the pool's `min_nodes` and `max_nodes`, with the pool's labels and taints. GPU SKUs get
AKS's GPU profile (driver install, or none for an operator); AKS does not run the device plugin,
so the pool keeps NVIDIA's DaemonSet. AKS sets `node.kubernetes.io/instance-type` to the VM size.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.cloud_pools.sdk import load_cloud_sdk
from specification.node_pool import NodePoolSpec, Taint
from specification.skus import AcceleratorKind

__all__ = ["AGENT_POOL_TYPE", "IGNORED_CHANGES", "aks_taint", "agent_pool_args", "create_agent_pool"]

AGENT_POOL_TYPE = "azure-native:containerservice:AgentPool"
# The autoscaler moves `count`; `up` must not set it back.
IGNORED_CHANGES = ["count"]


def aks_taint(taint: Taint) -> str:
    """A taint as AKS's `nodeTaints` writes it: `key=value:Effect`."""
    return f"{taint.key}={taint.value}:{taint.effect}"


def agent_pool_args(spec: NodePoolSpec) -> dict[str, Any]:
    """The AgentPool's inputs (the SDK's keyword arguments) for `spec`."""
    assert spec.aks is not None, "cloud 'aks' has its settings (NodePoolSpec checks)"
    args: dict[str, Any] = {
        "resource_group_name": spec.aks.resource_group_name,
        "resource_name_": spec.aks.cluster_name,  # the managed cluster's name
        "agent_pool_name": spec.cloud_pool_name,
        "mode": "User",
        "type": "VirtualMachineScaleSets",
        "os_type": "Linux",
        "vm_size": spec.sku_spec.name,
        "enable_auto_scaling": True,
        "min_count": spec.min_nodes,
        "max_count": spec.max_nodes,
        "count": spec.min_nodes,
        "node_labels": dict(spec.labels),
        "node_taints": [aks_taint(taint) for taint in spec.effective_taints],
    }
    if spec.accelerator is AcceleratorKind.GPU:
        args["gpu_profile"] = {"driver": spec.aks.gpu_driver}
    return args


def create_agent_pool(name: str, spec: NodePoolSpec, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """Register the AKS agent pool of `spec` as `name`."""
    containerservice = load_cloud_sdk("aks", spec.name)
    options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=IGNORED_CHANGES))
    pool: pulumi.CustomResource = containerservice.AgentPool(name, opts=options, **agent_pool_args(spec))
    return pool
