"""NodePool component: what a node pool needs inside the cluster (its accelerator device plugin).

The nodes themselves belong to the cloud's node pool (AKS, EKS, GKE); this component makes their
GPUs or FPGAs schedulable and carries the pool's spec for the versions placed on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

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
    """A node pool by SKU: its device plugin DaemonSet, when the SKU needs one."""

    spec: NodePoolSpec
    node_selector: pulumi.Output[dict[str, str]]
    accelerator_resource: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: NodePoolArgs | NodePoolSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`args`: a `NodePoolArgs`, or the pool's spec itself."""
        super().__init__("model-endpoints:index:NodePool", name, None, opts)
        spec = args.spec if isinstance(args, NodePoolArgs) else args
        self.spec = spec
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
                "node_selector": self.node_selector,
                "accelerator_resource": self.accelerator_resource,
            }
        )
