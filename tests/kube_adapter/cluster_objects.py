"""The objects a test seeds its fake API server with: a router's routing ConfigMap, pods and
Deployment, labelled as the components label them; and the manifests of a blue/green "green"
Deployment and Service, as the components render a version's."""

from __future__ import annotations

from typing import Any

from components.manifests.labels import COMPONENT_LABEL, endpoint_labels, version_labels
from components.manifests.serving import headless_service
from components.manifests.workload import deployment as version_deployment
from tests.specs import endpoint, version

NAMESPACE = "fraud"
ENDPOINT = "fraud"


def routing_config_map(data: dict[str, str], name: str = f"{ENDPOINT}-router-routing") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {**endpoint_labels(ENDPOINT), COMPONENT_LABEL: "router"},
            "annotations": {"pulumi.com/patchForce": "true"},
        },
        "data": data,
    }


def pod(
    name: str, labels: dict[str, str], *, ready: bool = True, phase: str = "Running", deleting: bool = False
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": NAMESPACE, "labels": labels}
    if deleting:
        metadata["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "haproxy", "image": "haproxy:2.6.12"}]},
        "status": {
            "phase": phase,
            "podIP": "10.1.0.7",
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True" if ready else "False"},
            ],
        },
    }


def router_pod(name: str, **kwargs: Any) -> dict[str, Any]:
    return pod(name, {**endpoint_labels(ENDPOINT), COMPONENT_LABEL: "router"}, **kwargs)


def version_pod(name: str) -> dict[str, Any]:
    return pod(name, version_labels(ENDPOINT, "versiona"))


def deployment(name: str, *, replicas: int, ready: int, updated: int, available: int) -> dict[str, Any]:
    labels = {**endpoint_labels(ENDPOINT), COMPONENT_LABEL: "router"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels, "generation": 3},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "haproxy", "image": "haproxy:2.6.12"}]},
            },
        },
        "status": {
            "observedGeneration": 3,
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": updated,
            "availableReplicas": available,
        },
    }


GREEN = f"{ENDPOINT}-versiona-green"


def green_deployment(*, replicas: int = 2, image: str = "registry.example.com/models/a:2") -> dict[str, Any]:
    """The version's Deployment as the components render it, named as a blue/green green one."""
    spec = endpoint(version("versiona", image=image, num_replicas=replicas), name=ENDPOINT)
    manifest = version_deployment(spec, spec.versions[0], None)
    manifest["metadata"]["name"] = GREEN
    return manifest


def green_service(*, headless: bool = True) -> dict[str, Any]:
    """The version's headless Service as the components render it, named as a green one; with
    `headless=False`, one that asks for a cluster IP."""
    spec = endpoint(version("versiona"), name=ENDPOINT)
    manifest = headless_service(spec, spec.versions[0])
    manifest["metadata"]["name"] = GREEN
    if not headless:
        del manifest["spec"]["clusterIP"]
    return manifest
