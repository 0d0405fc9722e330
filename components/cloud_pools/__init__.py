"""The cloud's own node pool behind a `NodePool` with `cloud: aks|eks|gke`.

One module per cloud (`aks`, `eks`, `gke`) plans the pool's inputs from the spec and registers
the resource of that cloud's Pulumi SDK, imported only then (`sdk`).
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from components.cloud_pools.aks import create_agent_pool
from components.cloud_pools.eks import create_node_group
from components.cloud_pools.gke import create_node_pool
from specification.node_pool import NodePoolSpec

__all__ = ["CLOUD_POOL_ROLES", "create_cloud_pool"]

_Create = Callable[[str, NodePoolSpec, pulumi.ResourceOptions], pulumi.CustomResource]

# cloud -> (the child's role in its name, `<pool>-<role>`; what registers it)
CLOUD_POOL_ROLES: dict[str, tuple[str, _Create]] = {
    "aks": ("agent-pool", create_agent_pool),
    "eks": ("node-group", create_node_group),
    "gke": ("node-pool", create_node_pool),
}


def create_cloud_pool(
    name: str, spec: NodePoolSpec, opts: pulumi.ResourceOptions
) -> pulumi.CustomResource | None:
    """Register the cloud's pool for `spec` as `<name>-<role>`, or nothing for `cloud: none`."""
    if spec.cloud == "none":
        return None
    role, create = CLOUD_POOL_ROLES[spec.cloud]
    return create(f"{name}-{role}", spec, opts)
