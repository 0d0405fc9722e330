"""The green twin of a version's Deployment and headless Service, for a cluster blue/green update.

While version `v` is replaced blue/green, its new pods (green) run beside the old ones (blue) in
a Deployment and headless Service of their own, `<endpoint>-<v>-green`, created and deleted by the
TrafficSplit and VersionSettle resources (`provider.version_replacement`) through
`kube_adapter`, not by Pulumi: they exist only for the length of a replacement.

Green pods run exactly blue's new pod template, with one label changed: instead of
`model-endpoints.io/version: v` they carry `model-endpoints.io/green-of: v`. So blue's Deployment,
Service and PodDisruptionBudget (whose selectors name the version) never see them, and the
router's `be_<v>_green` backend finds them through the green Service alone. They keep the
endpoint and component labels, so the endpoint's NetworkPolicy admits the router to them.

`serving_digest` is what decides that a version's serving definition changed: the SHA-256 of its
Deployment's pod template (image, command, env, resources, models, the code ConfigMap's
content-addressed name). The replica count is not in it: scaling is no new definition.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from components.manifests.labels import (
    COMPONENT_LABEL,
    ENDPOINT_LABEL,
    VERSION_LABEL,
    endpoint_labels,
)
from components.manifests.serving import headless_service
from kube_adapter.names import GREEN_OF_LABEL, green_object_name
from specification.endpoint import EndpointSpec
from specification.version import VersionSpec

__all__ = [
    "GREEN_OF_LABEL",
    "green_deployment",
    "green_labels",
    "green_selector",
    "green_service",
    "serving_digest",
]


def green_selector(endpoint: str, version: str) -> dict[str, str]:
    """Selects the green pods of `version` (and nothing of blue's)."""
    return {ENDPOINT_LABEL: endpoint, GREEN_OF_LABEL: version}


def green_labels(endpoint: str, version: str) -> dict[str, str]:
    return {**endpoint_labels(endpoint), COMPONENT_LABEL: "model-version", GREEN_OF_LABEL: version}


def _relabelled(labels: Mapping[str, str], endpoint: str, version: str) -> dict[str, str]:
    kept = {key: value for key, value in labels.items() if key != VERSION_LABEL}
    return {**kept, **green_labels(endpoint, version)}


def serving_digest(blue_deployment: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a version Deployment's pod template: what changes when its serving
    definition does."""
    template = blue_deployment["spec"]["template"]
    return hashlib.sha256(json.dumps(template, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def green_deployment(
    endpoint: EndpointSpec, version: VersionSpec, blue_deployment: Mapping[str, Any], replicas: int
) -> dict[str, Any]:
    """The green Deployment of `version`: `blue_deployment` (its new manifest) renamed and
    relabelled, with `replicas` pods (blue's declared count, or the first step's under an
    `INSTANCE_COUNT` policy). No rolling-update fields: it is created, grown and deleted whole."""
    manifest = copy.deepcopy(dict(blue_deployment))
    name = green_object_name(endpoint.name, version.name)
    metadata = manifest["metadata"]
    metadata["name"] = name
    metadata["labels"] = _relabelled(metadata.get("labels", {}), endpoint.name, version.name)
    spec = manifest["spec"]
    spec["replicas"] = replicas
    spec["selector"] = {"matchLabels": green_selector(endpoint.name, version.name)}
    spec.pop("strategy", None)
    spec.pop("minReadySeconds", None)
    spec.pop("progressDeadlineSeconds", None)
    template_metadata = spec["template"]["metadata"]
    template_metadata["labels"] = _relabelled(
        template_metadata.get("labels", {}), endpoint.name, version.name
    )
    return manifest


def green_service(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any]:
    """The green pods' headless Service, `<endpoint>-<v>-green`: the DNS name the router's
    `be_<v>_green` backend resolves (no answer, so no server, while no replacement runs)."""
    manifest = headless_service(endpoint, version)
    manifest["metadata"]["name"] = green_object_name(endpoint.name, version.name)
    manifest["metadata"]["labels"] = green_labels(endpoint.name, version.name)
    manifest["spec"]["selector"] = green_selector(endpoint.name, version.name)
    return manifest
