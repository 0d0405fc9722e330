"""How the pack recognises what a model-endpoints stack registers, from the engine's view of it.

A policy sees each resource's type token and checked inputs, nothing of our Python objects (the
pack runs in its own virtualenv), so the components' type tokens and labels are named here once.
They are what `components/` registers: the dynamic providers' tokens
(`pulumi-python:dynamic/model-endpoints:<Name>`) and the Kubernetes objects' labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "DEPLOYMENT",
    "ENDPOINT_RECORD",
    "SERVICE",
    "TRAFFIC_SPLIT",
    "component",
    "containers",
    "is_ours",
    "stack_of",
]

ENDPOINT_RECORD = "pulumi-python:dynamic/model-endpoints:EndpointRecord"
TRAFFIC_SPLIT = "pulumi-python:dynamic/model-endpoints:TrafficSplit"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
PART_OF = "app.kubernetes.io/part-of"
COMPONENT = "app.kubernetes.io/component"


def _labels(props: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = props.get("metadata") or {}
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


def is_ours(props: Mapping[str, Any]) -> bool:
    """Whether a Kubernetes object carries the labels every model-endpoints object carries."""
    return _labels(props).get(PART_OF) == "model-endpoints"


def component(props: Mapping[str, Any]) -> str | None:
    """`model-version` or `router` for our Kubernetes objects, else None."""
    if not is_ours(props):
        return None
    value = _labels(props).get(COMPONENT)
    return value if isinstance(value, str) else None


def containers(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A Deployment's pod containers (init containers left out: they run once and exit)."""
    spec = props.get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec") or {}
    found = pod.get("containers") or []
    return [c for c in found if isinstance(c, Mapping)]


def stack_of(urn: str) -> str:
    """The stack name of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`)."""
    head = urn.split("::", 1)[0]
    return head.rsplit(":", 1)[-1] if head.startswith("urn:pulumi:") else ""
