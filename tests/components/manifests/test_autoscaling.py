"""HPA v2 or KEDA ScaledObject, never both, with the seed's fast-up/slow-down behavior."""

from __future__ import annotations

import math

import pytest

from components.manifests.autoscaling import autoscaler, in_flight_query, keda_threshold
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, version


def test_fixed_replicas_get_no_autoscaler() -> None:
    ep = endpoint(version("v1", num_replicas=2))
    assert autoscaler(ep, ep.versions[0]) is None


def test_hpa_defaults() -> None:
    ep = endpoint(version("v1"))
    hpa = autoscaler(ep, ep.versions[0])
    assert hpa is not None
    validate_manifest(hpa)
    spec = hpa["spec"]
    assert hpa["kind"] == "HorizontalPodAutoscaler"
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ep-v1"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 10)
    assert spec["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    up, down = spec["behavior"]["scaleUp"], spec["behavior"]["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 0  # eager: about a second
    assert {p["periodSeconds"] for p in up["policies"]} == {1}  # autoscale_refresh_seconds
    assert down["stabilizationWindowSeconds"] == 60  # conservative: about a minute


def test_hpa_uses_the_version_settings() -> None:
    ep = endpoint(
        version(
            "v1",
            autoscale_min_replicas=2,
            autoscale_max_replicas=7,
            autoscale_target_utilization=30,
            autoscale_refresh_seconds=5,
        )
    )
    spec = autoscaler(ep, ep.versions[0])["spec"]  # type: ignore[index]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 7)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 30
    assert {p["periodSeconds"] for p in spec["behavior"]["scaleUp"]["policies"]} == {5}


def test_keda_scaled_object_on_router_in_flight_requests() -> None:
    ep = endpoint(
        version("v1", autoscale_target_utilization=70, replica_max_concurrent_requests=2),
        autoscaler="keda",
        prometheus_url="http://prometheus.monitoring:9090",
        namespace="team-a",
    )
    scaled = autoscaler(ep, ep.versions[0])
    assert scaled is not None
    validate_manifest(scaled)
    assert scaled["kind"] == "ScaledObject"
    spec = scaled["spec"]
    assert spec["pollingInterval"] == 1
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "prometheus"
    assert trigger["metadata"]["serverAddress"] == "http://prometheus.monitoring:9090"
    assert trigger["metadata"]["query"] == (
        'sum(haproxy_backend_current_sessions{proxy="be_v1",namespace="team-a"})'
    )
    assert trigger["metadata"]["threshold"] == "1.4"
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"][
        "stabilizationWindowSeconds"
    ] == 60


@pytest.mark.parametrize(("in_flight", "utilization", "per_replica"), [(7, 70, 1), (200, 70, 1), (50, 30, 4)])
def test_keda_threshold_reproduces_the_seed_formula(in_flight: int, utilization: int, per_replica: int) -> None:
    v = version("v1", autoscale_target_utilization=utilization, replica_max_concurrent_requests=per_replica)
    # KEDA (AverageValue) asks for ceil(metric / threshold) replicas
    keda_replicas = math.ceil(round(in_flight / float(keda_threshold(v)), 9))
    seed_replicas = math.ceil(round(in_flight / (utilization / 100) / per_replica, 9))
    assert keda_replicas == seed_replicas


def test_in_flight_query_names_the_router_backend() -> None:
    ep = endpoint(version("alpha"))
    assert 'proxy="be_alpha"' in in_flight_query(ep, ep.versions[0])


def test_keda_without_prometheus_is_rejected() -> None:
    with pytest.raises(ValueError, match="prometheus_url is required when autoscaler is 'keda'"):
        endpoint(version("v1"), autoscaler="keda")
