"""Small valid specs for tests, overridable field by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specification import EndpointSpec, NodePoolSpec, VersionSpec
from specification.routing import RoutingTable, share_steps


def version(name: str = "v1", **fields: Any) -> VersionSpec:
    fields.setdefault("image", "registry.example.com/model:1")
    return VersionSpec(name=name, **fields)


def endpoint(*versions: VersionSpec, **fields: Any) -> EndpointSpec:
    return EndpointSpec(name=fields.pop("name", "ep"), versions=list(versions) or [version()], **fields)


def pool(name: str = "gpu", sku: Any = "Standard_NC12s_v3", **fields: Any) -> NodePoolSpec:
    return NodePoolSpec(name=name, sku=sku, **fields)


# Where each cloud's pool goes, as a stack's config spells it.
CLOUD_SETTINGS: dict[str, dict[str, Any]] = {
    "aks": {"resource_group_name": "ml-platform", "cluster_name": "inference"},
    "eks": {
        "cluster_name": "inference",
        "node_role_arn": "arn:aws:iam::123456789012:role/inference-nodes",
        "subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
    },
    "gke": {"project": "ml-platform-prod", "location": "us-central1-a", "cluster": "inference"},
}


def cloud_pool(cloud: str, name: str = "gpu", sku: Any = "Standard_NC12s_v3", **fields: Any) -> NodePoolSpec:
    """A pool created in `cloud`, with that cloud's settings (overridable as `settings=`)."""
    settings = {**CLOUD_SETTINGS[cloud], **fields.pop("settings", {})}
    return NodePoolSpec.model_validate({"name": name, "sku": sku, "cloud": cloud, cloud: settings, **fields})


def routed(spec: EndpointSpec, traffic: Mapping[str, float]) -> RoutingTable:
    """`spec`'s routing table with other effective shares (`traffic` must sum to exactly 100)."""
    steps = {name: share_steps(percent) for name, percent in traffic.items()}
    return RoutingTable(steps, spec.default_version, spec.control_version)
