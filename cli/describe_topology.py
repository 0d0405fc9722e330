"""The Mermaid picture `describe --topology` adds: each endpoint's router, versions and node pools,
the versions' edges labelled with the share the routers serve now (else the desired one).

The versions and pools come from the stack's config (`Pulumi.<stack>.yaml`, read by the one
loader), the weights from the status just derived, so the picture shows the live split.
"""

from __future__ import annotations

from collections.abc import Sequence

from local_runtime.project_files import find_project_dir, stack_config_path
from review.topology import endpoint_flowchart
from rollout.endpoint_status import EndpointStatus
from specification.stack_config import load_stack

__all__ = ["status_topologies"]


def status_topologies(stack: str, statuses: Sequence[EndpointStatus]) -> dict[str, str]:
    """`{endpoint: flowchart}` for each status whose endpoint the stack's config declares."""
    loaded = load_stack(stack, stack_config_path(stack, find_project_dir()))
    endpoints = {endpoint.name: endpoint for endpoint in loaded.spec.endpoints}
    pictures = {}
    for status in statuses:
        endpoint = endpoints.get(status.endpoint_name)
        if endpoint is None:
            continue
        shares = {
            version.name: version.current_weight if version.current_weight is not None else version.desired_weight
            for version in status.versions
        }
        pictures[status.endpoint_name] = endpoint_flowchart(endpoint, loaded.spec.node_pools, shares)
    return pictures
