"""The Version component under mocks: one version's objects, in dependency order."""

from __future__ import annotations

from typing import Any

import pulumi

from components import Version, VersionArgs
from offline.program import run_under_mocks
from offline.recording import RecordedResource
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, version


def test_fixed_replica_version_has_no_autoscaler() -> None:
    ep = endpoint(version("v1", num_replicas=3))
    graph = run_under_mocks(lambda: Version("ep-v1", VersionArgs(endpoint=ep, version=ep.versions[0])))
    (component,) = graph.of_type("model-endpoints:index:Version")
    kinds = sorted(r.type for r in graph.children(component))
    assert kinds == [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:Service",
        "kubernetes:policy/v1:PodDisruptionBudget",
    ]
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)


def test_explicit_dependencies_reach_every_object() -> None:
    from components.kubernetes_objects import create_object
    from components.manifests.serving import namespace

    ep = endpoint(version("v1"))

    def program() -> None:
        import pulumi

        ns = create_object("ns", namespace(ep), pulumi.ResourceOptions())
        Version(
            "ep-v1",
            VersionArgs(endpoint=ep, version=ep.versions[0]),
            pulumi.ResourceOptions(depends_on=[ns]),
        )

    graph = run_under_mocks(program)
    ns_urn = graph.named("ns").urn
    for name in ("ep-v1-deployment", "ep-v1-service", "ep-v1-pdb", "ep-v1-autoscaler"):
        assert ns_urn in graph.named(name).dependencies


# --- the Deployment's options: the rollout deadline and retained instance counts

_ROLLING = {
    "rolling_update_policy": {
        "maximum_batch_size": {"type": "CAPACITY_PERCENT", "value": 50},
        "wait_interval_in_seconds": 60,
        "maximum_execution_timeout_in_seconds": 1200,
    }
}


def _deployment(ep_fields: dict[str, Any], **version_fields: Any) -> RecordedResource:
    ep = endpoint(version("v1", **version_fields), **ep_fields)
    graph = run_under_mocks(lambda: Version("ep-v1", VersionArgs(endpoint=ep, version=ep.versions[0])))
    return graph.named("ep-v1-deployment")


def test_up_waits_for_a_rolling_update_as_long_as_its_deadline() -> None:
    recorded = _deployment({"deployment_config": _ROLLING}, num_replicas=4)
    assert recorded.custom_timeouts == {"create": "1200s", "update": "1200s"}
    assert recorded.manifest["spec"]["progressDeadlineSeconds"] == 1200


def test_without_a_policy_the_kubernetes_providers_own_wait() -> None:
    recorded = _deployment({}, num_replicas=4)
    assert recorded.custom_timeouts == {}
    assert recorded.ignore_changes == ()


def test_a_retained_fixed_count_keeps_the_live_replicas() -> None:
    recorded = _deployment({"retain_all_variant_properties": True}, num_replicas=4)
    assert recorded.ignore_changes == ("spec.replicas",)
    # the declared count is still what a new Deployment is created with
    assert recorded.manifest["spec"]["replicas"] == 4


def test_an_excluded_instance_count_applies_the_declared_replicas() -> None:
    fields = {
        "retain_all_variant_properties": True,
        "exclude_retained_variant_properties": [{"variant_property_type": "DesiredInstanceCount"}],
    }
    recorded = _deployment(fields, num_replicas=4)
    assert recorded.ignore_changes == ()


def test_an_autoscaled_count_is_never_reset_retained_or_not() -> None:
    for fields in ({}, {"retain_all_variant_properties": True}):
        recorded = _deployment(fields)
        assert "replicas" not in recorded.manifest["spec"]
        assert recorded.ignore_changes == ()
