"""Objects around a version's pods: the headless Service the router discovers replicas through,
the PodDisruptionBudget, and the endpoint's Namespace and NetworkPolicy."""

from __future__ import annotations

from typing import Any

from components.manifests.labels import (
    COMPONENT_LABEL,
    ENDPOINT_LABEL,
    endpoint_labels,
    object_name,
    router_selector,
    version_labels,
    version_selector,
)
from specification.endpoint import EndpointSpec
from specification.version import VersionSpec

__all__ = ["namespace", "headless_service", "service_host", "disruption_budget", "network_policy"]


def namespace(endpoint: EndpointSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": endpoint.effective_namespace, "labels": endpoint_labels(endpoint.name)},
    }


def headless_service(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any]:
    """A headless Service: DNS answers with every ready replica, so the router balances and
    limits concurrency per replica rather than per Service."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": object_name(endpoint.name, version.name),
            "namespace": endpoint.effective_namespace,
            "labels": version_labels(endpoint.name, version.name),
        },
        "spec": {
            "clusterIP": "None",
            "selector": version_selector(endpoint.name, version.name),
            "ports": [{"name": "http", "port": version.port, "targetPort": "http", "protocol": "TCP"}],
            "publishNotReadyAddresses": False,
        },
    }


def service_host(endpoint: EndpointSpec, version: VersionSpec, cluster_domain: str = "cluster.local") -> str:
    """The DNS name that resolves to the version's ready replicas."""
    return f"{object_name(endpoint.name, version.name)}.{endpoint.effective_namespace}.svc.{cluster_domain}"


def disruption_budget(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any]:
    """At most one replica evicted at a time. `maxUnavailable` rather than `minAvailable: 1`,
    which would block node drains forever for a single-replica version."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": object_name(endpoint.name, version.name),
            "namespace": endpoint.effective_namespace,
            "labels": version_labels(endpoint.name, version.name),
        },
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": version_selector(endpoint.name, version.name)},
        },
    }


def network_policy(endpoint: EndpointSpec) -> dict[str, Any]:
    """Only the endpoint's router pods reach its version pods, and only on their serving ports."""
    ports = sorted({version.port for version in endpoint.versions})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"{endpoint.name}-versions",
            "namespace": endpoint.effective_namespace,
            "labels": endpoint_labels(endpoint.name),
        },
        "spec": {
            "podSelector": {
                "matchLabels": {ENDPOINT_LABEL: endpoint.name, COMPONENT_LABEL: "model-version"}
            },
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": router_selector(endpoint.name)}}],
                    "ports": [{"protocol": "TCP", "port": port} for port in ports],
                }
            ],
        },
    }
