"""Run one NodePool under Pulumi's mocks and return the cloud resource it registered, as the
engine received it (inputs with the SDK's own property names, integral numbers as ints)."""

from __future__ import annotations

from typing import Any

from components import NodePool
from offline.program import run_under_mocks
from offline.recording import Graph, RecordedResource
from specification.node_pool import NodePoolSpec

__all__ = ["register", "cloud_resource"]


def register(spec: NodePoolSpec, *, preview: bool = False) -> Graph:
    """Every registration of a NodePool built from `spec`."""
    return run_under_mocks(lambda: NodePool(spec.name, spec), preview=preview)


def cloud_resource(graph: Graph, type_: str) -> tuple[RecordedResource, dict[str, Any]]:
    """The one resource of `type_` in `graph` (a child of the NodePool) and its inputs."""
    (component,) = graph.of_type("model-endpoints:index:NodePool")
    (resource,) = graph.of_type(type_)
    assert resource.parent == component.urn and resource.custom
    return resource, resource.manifest
