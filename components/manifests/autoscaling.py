"""A version's autoscaler: an HPA v2, or a KEDA ScaledObject on the router's in-flight requests.

Seed semantics: add replicas fast (about 1 s), remove them conservatively (about 1 min), between
`autoscale_min_replicas` and `autoscale_max_replicas`. Exactly one autoscaler per Deployment.
"""

from __future__ import annotations

from typing import Any

from components.manifests.labels import object_name, version_labels
from router.names import backend_name
from specification.endpoint import EndpointSpec
from specification.version import VersionSpec

__all__ = [
    "SCALE_DOWN_WINDOW_SECONDS",
    "scaling_behavior",
    "horizontal_pod_autoscaler",
    "in_flight_query",
    "keda_threshold",
    "scaled_object",
    "autoscaler",
]

SCALE_DOWN_WINDOW_SECONDS = 60  # the seed: removal decisions take about a minute
SCALE_UP_MAX_PODS_PER_PERIOD = 4


def scaling_behavior(version: VersionSpec) -> dict[str, Any]:
    """HPA v2 behavior: scale up at once, every `autoscale_refresh_seconds`, doubling or +4 pods;
    scale down only on the lowest recommendation of the last minute."""
    period = version.autoscale_refresh_seconds
    return {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": period},
                {"type": "Pods", "value": SCALE_UP_MAX_PODS_PER_PERIOD, "periodSeconds": period},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": SCALE_DOWN_WINDOW_SECONDS,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": SCALE_DOWN_WINDOW_SECONDS}],
        },
    }


def _target_ref(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, str]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": object_name(endpoint.name, version.name)}


def _metadata(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any]:
    return {
        "name": object_name(endpoint.name, version.name),
        "namespace": endpoint.effective_namespace,
        "labels": version_labels(endpoint.name, version.name),
    }


def horizontal_pod_autoscaler(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any]:
    """HPA v2 on CPU utilization against the replica's CPU request: the engine every cluster has."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(endpoint, version),
        "spec": {
            "scaleTargetRef": _target_ref(endpoint, version),
            "minReplicas": version.autoscale_min_replicas,
            "maxReplicas": version.autoscale_max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": version.autoscale_target_utilization,
                        },
                    },
                }
            ],
            "behavior": scaling_behavior(version),
        },
    }


def in_flight_query(endpoint: EndpointSpec, version: VersionSpec) -> str:
    """PromQL: requests in flight or queued for the version, summed over router replicas."""
    return (
        f'sum(haproxy_backend_current_sessions{{proxy="{backend_name(version.name)}",'
        f'namespace="{endpoint.effective_namespace}"}})'
    )


def keda_threshold(version: VersionSpec) -> str:
    """In-flight requests per replica at target utilization.

    KEDA asks for ceil(in_flight / threshold) replicas, which is the seed's formula
    ceil(rps x latency / utilization / max_concurrent) since in_flight = rps x latency.
    """
    value = version.replica_max_concurrent_requests * version.autoscale_target_utilization / 100
    return f"{value:g}"


def scaled_object(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any]:
    """KEDA ScaledObject: the seed's busy-replica utilization, read from the router's metrics."""
    assert endpoint.prometheus_url is not None
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(endpoint, version),
        "spec": {
            "scaleTargetRef": _target_ref(endpoint, version),
            "pollingInterval": version.autoscale_refresh_seconds,
            "minReplicaCount": version.autoscale_min_replicas,
            "maxReplicaCount": version.autoscale_max_replicas,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": scaling_behavior(version)}},
            "triggers": [
                {
                    "type": "prometheus",
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": endpoint.prometheus_url,
                        "query": in_flight_query(endpoint, version),
                        "threshold": keda_threshold(version),
                    },
                }
            ],
        },
    }


def autoscaler(endpoint: EndpointSpec, version: VersionSpec) -> dict[str, Any] | None:
    """The one autoscaler the version gets, or None when it runs a fixed `num_replicas`."""
    if not version.autoscaled:
        return None
    if endpoint.autoscaler == "keda":
        return scaled_object(endpoint, version)
    return horizontal_pod_autoscaler(endpoint, version)
