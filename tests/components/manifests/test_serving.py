"""Namespace, headless Service, PodDisruptionBudget and NetworkPolicy of an endpoint."""

from __future__ import annotations

from components.manifests.labels import router_selector
from components.manifests.serving import (
    disruption_budget,
    headless_service,
    namespace,
    network_policy,
    service_host,
)
from components.manifests.workload import deployment
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, version


def test_namespace_manifest() -> None:
    ep = endpoint(version("v1"), namespace="team-a")
    manifest = namespace(ep)
    validate_manifest(manifest)
    assert manifest["metadata"]["name"] == "team-a"


def test_headless_service_selects_exactly_the_version_pods() -> None:
    ep = endpoint(version("v1", port=8080), version("v2"))
    v1, v2 = ep.versions
    service = headless_service(ep, v1)
    validate_manifest(service)
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    pods_v1 = deployment(ep, v1, None)["spec"]["template"]["metadata"]["labels"]
    pods_v2 = deployment(ep, v2, None)["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"].items()
    assert selector <= pods_v1.items()
    assert not selector <= pods_v2.items()
    assert service_host(ep, v1) == "ep-v1.ep.svc.cluster.local"


def test_disruption_budget_never_blocks_drains_of_single_replica_versions() -> None:
    ep = endpoint(version("v1", num_replicas=1))
    budget = disruption_budget(ep, ep.versions[0])
    validate_manifest(budget)
    assert budget["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in budget["spec"]


def test_network_policy_admits_only_the_router() -> None:
    ep = endpoint(version("v1", port=8080), version("v2", port=5001))
    policy = network_policy(ep)
    validate_manifest(policy)
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    (rule,) = spec["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": router_selector("ep")}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5001}, {"protocol": "TCP", "port": 8080}]
    # the policy covers every version's pods, and router pods do not match the version selector
    for v in ep.versions:
        labels = deployment(ep, v, None)["spec"]["template"]["metadata"]["labels"]
        assert spec["podSelector"]["matchLabels"].items() <= labels.items()
    assert not spec["podSelector"]["matchLabels"].items() <= router_selector("ep").items()
