"""NodePool component: a node pool's nodes (created in AKS, EKS or GKE, or existing) and what they
need inside the cluster (the accelerator's device plugin).

With `cloud: none` the nodes belong to a pool someone else created; with `aks`, `eks` or `gke`
the component also creates that cloud's pool, and versions placed on it (which depend on the
component) wait for it. Either way it makes the nodes' GPUs or FPGAs schedulable and carries the
pool's spec for the versions placed on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cloud_pools import create_cloud_pool
from components.kubernetes_objects import create_object
from components.manifests.device_plugin import device_plugin_daemon_set
from components.options import child_options
from specification.node_pool import NodePoolSpec

__all__ = ["NodePool", "NodePoolArgs"]


@dataclass(frozen=True)
class NodePoolArgs:
    """What a NodePool is built from: its validated spec."""

    spec: NodePoolSpec


class NodePool(pulumi.ComponentResource):
    """A node pool by SKU: the cloud's pool when `cloud` names one, and its device plugin
    DaemonSet when the SKU needs one the cloud does not run."""

    spec: NodePoolSpec
    node_selector: pulumi.Output[dict[str, str]]
    accelerator_resource: pulumi.Output[str]
    cloud_pool: pulumi.CustomResource | None  # AgentPool, NodeGroup or NodePool of the cloud's SDK
    cloud_pool_id: pulumi.Output[str] | None  # its ID; unknown in a preview that creates it

    def __init__(
        self,
        name: str,
        args: NodePoolArgs | NodePoolSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`args`: a `NodePoolArgs`, or the pool's spec itself. Raises CloudSdkMissingError
        (a `pulumi.RunError`) when the pool's cloud SDK is not installed."""
        super().__init__("model-endpoints:index:NodePool", name, None, opts)
        spec = args.spec if isinstance(args, NodePoolArgs) else args
        self.spec = spec
        self.cloud_pool = create_cloud_pool(name, spec, child_options(self, opts))
        self.cloud_pool_id = self.cloud_pool.id if self.cloud_pool is not None else None
        manifest = device_plugin_daemon_set(spec)
        self.device_plugin = (
            None
            if manifest is None
            else create_object(f"{name}-device-plugin", manifest, child_options(self, opts))
        )
        self.node_selector = pulumi.Output.from_input(spec.node_selector)
        self.accelerator_resource = pulumi.Output.from_input(spec.resource_name)
        self.register_outputs(
            {
                "sku": spec.sku_spec.name,
                "accelerator": spec.accelerator.value,
                "cloud": spec.cloud,
                "cloud_pool_id": self.cloud_pool_id,
                "node_selector": self.node_selector,
                "accelerator_resource": self.accelerator_resource,
            }
        )
