"""The NodePool component under mocks."""

from __future__ import annotations

import pulumi

from components import NodePool, NodePoolArgs
from offline.program import run_under_mocks
from tests.kubernetes_schema import validate_manifest
from tests.specs import pool


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
