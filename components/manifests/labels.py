"""The labels that tie an endpoint's objects together and let selectors and policies find them."""

from __future__ import annotations

__all__ = [
    "PART_OF",
    "ENDPOINT_LABEL",
    "VERSION_LABEL",
    "COMPONENT_LABEL",
    "endpoint_labels",
    "version_selector",
    "version_labels",
    "router_selector",
    "object_name",
]

PART_OF = "model-endpoints"
ENDPOINT_LABEL = "model-endpoints.io/endpoint"
VERSION_LABEL = "model-endpoints.io/version"
COMPONENT_LABEL = "app.kubernetes.io/component"


def object_name(endpoint: str, version: str) -> str:
    """Kubernetes name of a version's objects: `<endpoint>-<version>` (<= 63 by the name rules)."""
    return f"{endpoint}-{version}"


def endpoint_labels(endpoint: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        ENDPOINT_LABEL: endpoint,
    }


def version_selector(endpoint: str, version: str) -> dict[str, str]:
    """Selects the pods of one version; stable for the life of the version (selectors are immutable)."""
    return {ENDPOINT_LABEL: endpoint, VERSION_LABEL: version}


def version_labels(endpoint: str, version: str) -> dict[str, str]:
    return {**endpoint_labels(endpoint), COMPONENT_LABEL: "model-version", VERSION_LABEL: version}


def router_selector(endpoint: str) -> dict[str, str]:
    """Selects the endpoint's router pods: the only clients version pods accept."""
    return {ENDPOINT_LABEL: endpoint, COMPONENT_LABEL: "router"}
