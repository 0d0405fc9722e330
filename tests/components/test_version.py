"""The Version component under mocks: one version's objects, in dependency order."""

from __future__ import annotations

import pulumi

from components import Version, VersionArgs
from offline.program import run_under_mocks
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
