"""Small valid specs for tests, overridable field by field."""

from __future__ import annotations

from typing import Any

from specification import EndpointSpec, NodePoolSpec, VersionSpec


def version(name: str = "v1", **fields: Any) -> VersionSpec:
    fields.setdefault("image", "registry.example.com/model:1")
    return VersionSpec(name=name, **fields)


def endpoint(*versions: VersionSpec, **fields: Any) -> EndpointSpec:
    return EndpointSpec(name=fields.pop("name", "ep"), versions=list(versions) or [version()], **fields)


def pool(name: str = "gpu", sku: Any = "Standard_NC12s_v3", **fields: Any) -> NodePoolSpec:
    return NodePoolSpec(name=name, sku=sku, **fields)
