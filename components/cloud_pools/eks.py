"""The EKS managed node group a `cloud: eks` node pool creates (pulumi-aws).

A node group of the SKU's instance type in an existing cluster, its size between the pool's
`min_nodes` and `max_nodes` for the cluster autoscaler, with the pool's labels and taints. GPU
SKUs get the NVIDIA AMI type (driver included; the pool deploys NVIDIA's device plugin unless the
AMI type is a Bottlerocket NVIDIA one, which runs its own). EKS sets
`node.kubernetes.io/instance-type` to the instance type.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.cloud_pools.sdk import load_cloud_sdk
from specification.node_pool import NodePoolSpec, Taint

__all__ = ["NODE_GROUP_TYPE", "IGNORED_CHANGES", "eks_taint", "node_group_args", "create_node_group"]

NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
# The autoscaler moves the desired size; `up` must not set it back.
IGNORED_CHANGES = ["scalingConfig.desiredSize"]
_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def eks_taint(taint: Taint) -> dict[str, str]:
    """A taint as the EKS API writes it (effects in upper snake case)."""
    entry = {"key": taint.key, "effect": _EFFECTS[taint.effect]}
    if taint.value:
        entry["value"] = taint.value
    return entry


def node_group_args(spec: NodePoolSpec) -> dict[str, Any]:
    """The NodeGroup's inputs (the SDK's keyword arguments) for `spec`."""
    assert spec.eks is not None, "cloud 'eks' has its settings (NodePoolSpec checks)"
    return {
        "cluster_name": spec.eks.cluster_name,
        "node_group_name": spec.cloud_pool_name,
        "node_role_arn": spec.eks.node_role_arn,
        "subnet_ids": list(spec.eks.subnet_ids),
        "instance_types": [spec.sku_spec.name],
        "ami_type": spec.eks_ami_type,
        "scaling_config": {
            "min_size": spec.min_nodes,
            "max_size": spec.max_nodes,
            "desired_size": spec.min_nodes,
        },
        "labels": dict(spec.labels),
        "taints": [eks_taint(taint) for taint in spec.effective_taints],
    }


def create_node_group(name: str, spec: NodePoolSpec, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """Register the EKS managed node group of `spec` as `name`."""
    eks = load_cloud_sdk("eks", spec.name)
    options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=IGNORED_CHANGES))
    group: pulumi.CustomResource = eks.NodeGroup(name, opts=options, **node_group_args(spec))
    return group
