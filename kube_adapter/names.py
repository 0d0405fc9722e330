"""Where the adapter finds an endpoint's objects: the router's names, labels and metrics port,
and each version's Deployment.

The values mirror `components.manifests` (the layer above, which this package may not import);
a test holds the two equal.
"""

from __future__ import annotations

__all__ = [
    "ENDPOINT_LABEL",
    "COMPONENT_LABEL",
    "ROUTER_COMPONENT",
    "ROUTER_METRICS_PORT",
    "router_deployment_name",
    "routing_config_map_name",
    "router_label_selector",
    "version_deployment_name",
    "GREEN_OF_LABEL",
    "green_object_name",
]

ENDPOINT_LABEL = "model-endpoints.io/endpoint"
COMPONENT_LABEL = "app.kubernetes.io/component"
ROUTER_COMPONENT = "router"
GREEN_OF_LABEL = "model-endpoints.io/green-of"  # on a blue/green replacement's new pods
ROUTER_METRICS_PORT = 8405  # `/metrics` (Prometheus text) and `/routing` (the applied revision)


def router_deployment_name(endpoint: str) -> str:
    """The router's Deployment: `<endpoint>-router`."""
    return f"{endpoint}-router"


def version_deployment_name(endpoint: str, version: str) -> str:
    """A version's Deployment: `<endpoint>-<version>`."""
    return f"{endpoint}-{version}"


def green_object_name(endpoint: str, version: str) -> str:
    """The Deployment and headless Service of a version's new pods while it is replaced
    blue/green: `<endpoint>-<version>-green` (the spec refuses a version named `<v>-green` beside
    a version `v`, so the name is never a version's own)."""
    return f"{endpoint}-{version}-green"


def routing_config_map_name(endpoint: str) -> str:
    """The ConfigMap holding the endpoint's live routing table: `<endpoint>-router-routing`."""
    return f"{endpoint}-router-routing"


def router_label_selector(endpoint: str) -> str:
    """The label selector of the endpoint's router pods, as the API's `labelSelector` query."""
    return f"{ENDPOINT_LABEL}={endpoint},{COMPONENT_LABEL}={ROUTER_COMPONENT}"
