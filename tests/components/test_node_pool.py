"""The NodePool component under mocks."""

from __future__ import annotations

import pulumi
import pytest

from components import NodePool, NodePoolArgs
from offline.program import run_under_mocks
from specification.node_pool import NodePoolSpec
from tests.kubernetes_schema import validate_manifest
from tests.specs import cloud_pool, pool

DAEMON_SET = "kubernetes:apps/v1:DaemonSet"


def test_gpu_pool_deploys_its_device_plugin_as_a_child() -> None:
    outputs: dict = {}

    def program() -> pulumi.Output:
        node_pool = NodePool("gpu", NodePoolArgs(pool("gpu", "p4d.24xlarge", max_nodes=2)))
        return pulumi.Output.all(node_pool.node_selector, node_pool.accelerator_resource).apply(
            lambda values: outputs.update(selector=values[0], resource=values[1])
        )

    graph = run_under_mocks(program)
    (component,) = graph.of_type("model-endpoints:index:NodePool")
    (plugin,) = graph.children(component)
    assert plugin.name == "gpu-device-plugin"
    validate_manifest(plugin.manifest)
    assert outputs == {"selector": {"node.kubernetes.io/instance-type": "p4d.24xlarge"}, "resource": "nvidia.com/gpu"}


def test_managed_gpu_pool_creates_nothing() -> None:
    graph = run_under_mocks(lambda: NodePool("gke", pool("gke", "a2-highgpu-8g")))
    (component,) = graph.of_type("model-endpoints:index:NodePool")
    assert graph.children(component) == []


@pytest.mark.parametrize(
    ("spec", "children"),
    [
        (cloud_pool("aks", "gpu", "Standard_NC6s_v3"), {"azure-native:containerservice:AgentPool", DAEMON_SET}),
        (cloud_pool("aks", "fpga", "Standard_NP10s"), {"azure-native:containerservice:AgentPool", DAEMON_SET}),
        (cloud_pool("eks", "gpu", "g5.xlarge"), {"aws:eks/nodeGroup:NodeGroup", DAEMON_SET}),
        (
            cloud_pool("eks", "gpu", "g5.xlarge", settings={"ami_type": "BOTTLEROCKET_x86_64_NVIDIA"}),
            {"aws:eks/nodeGroup:NodeGroup"},
        ),
        (cloud_pool("eks", "fpga", "f1.2xlarge"), {"aws:eks/nodeGroup:NodeGroup", DAEMON_SET}),
        (cloud_pool("gke", "gpu", "a2-highgpu-1g"), {"gcp:container/nodePool:NodePool"}),
        (cloud_pool("gke", "cpu", {"name": "n2-standard-8"}), {"gcp:container/nodePool:NodePool"}),
        (pool("gke", "a2-highgpu-1g"), set()),
        (pool("aks", "Standard_NC6s_v3"), {DAEMON_SET}),
    ],
    ids=["aks-gpu", "aks-fpga", "eks-gpu", "eks-bottlerocket", "eks-fpga", "gke-gpu", "gke-cpu", "none-gke", "none-aks"],
)
def test_the_cloud_pool_and_a_device_plugin_only_where_the_cloud_runs_none(spec: NodePoolSpec, children: set[str]) -> None:
    """GKE (driver install) and EKS's Bottlerocket NVIDIA AMIs advertise the GPUs themselves; AKS's
    GPU profile and EKS's AL2023 NVIDIA AMI install the driver only, and FPGAs need Xilinx's plugin."""
    graph = run_under_mocks(lambda: NodePool(spec.name, spec))
    (component,) = graph.of_type("model-endpoints:index:NodePool")
    found = graph.children(component)
    assert {r.type for r in found} == children
    for child in found:
        if child.type == DAEMON_SET:
            validate_manifest(child.manifest)
            assert child.dependencies == ()  # deployed alongside the nodes, ready when they join


@pytest.mark.parametrize("preview", [False, True])
def test_the_cloud_pools_id_is_an_output_unknown_until_created(preview: bool) -> None:
    ids: list[str | None] = []

    def program() -> pulumi.Output:
        node_pool = NodePool("gpu", cloud_pool("eks", "gpu", "g5.xlarge"))
        assert node_pool.cloud_pool is not None and node_pool.cloud_pool_id is not None
        return node_pool.cloud_pool_id.apply(ids.append)

    graph = run_under_mocks(program, preview=preview)
    assert ids == ([] if preview else ["gpu-node-group-id"])  # apply never runs on an unknown
    (group,) = graph.of_type("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["instanceTypes"] == ["g5.xlarge"]  # inputs are known either way


def test_a_pool_of_existing_nodes_has_no_cloud_pool() -> None:
    node_pool: list[NodePool] = []
    run_under_mocks(lambda: node_pool.append(NodePool("gpu", pool("gpu", "g5.xlarge"))))
    assert node_pool[0].cloud_pool is None and node_pool[0].cloud_pool_id is None


def test_an_explicit_cloud_provider_given_to_the_pool_reaches_the_clouds_pool() -> None:
    import pulumi_aws

    def program() -> None:
        east = pulumi_aws.Provider("east", region="us-east-1")
        NodePool("gpu", cloud_pool("eks", "gpu", "g5.xlarge"), pulumi.ResourceOptions(providers=[east]))

    graph = run_under_mocks(program)
    (provider,) = graph.of_type("pulumi:providers:aws")
    (group,) = graph.of_type("aws:eks/nodeGroup:NodeGroup")
    assert group.provider.startswith(provider.urn + "::")
    assert graph.named("gpu-device-plugin").provider == ""  # the Kubernetes objects keep theirs
