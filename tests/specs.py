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


def routed(spec: EndpointSpec, traffic: Mapping[str, float]) -> RoutingTable:
    """`spec`'s routing table with other effective shares (`traffic` must sum to exactly 100)."""
    steps = {name: share_steps(percent) for name, percent in traffic.items()}
    return RoutingTable(steps, spec.default_version, spec.control_version)
