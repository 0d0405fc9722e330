"""The EKS managed node group a `cloud: eks` NodePool registers, with the real pulumi-aws SDK."""

from __future__ import annotations

from components.cloud_pools.eks import NODE_GROUP_TYPE
from tests.components.cloud_pools.registered import cloud_resource, register
from tests.specs import CLOUD_SETTINGS, cloud_pool


def test_gpu_node_group_has_the_nvidia_ami_scaling_labels_and_taints() -> None:
    spec = cloud_pool("eks", "gpu-a10g", "g5.12xlarge", min_nodes=1, max_nodes=3, labels={"workload": "inference"})
    resource, inputs = cloud_resource(register(spec), NODE_GROUP_TYPE)
    assert resource.name == "gpu-a10g-node-group"
    assert inputs == {
        "clusterName": "inference",
        "nodeGroupName": "gpu-a10g",
        "nodeRoleArn": CLOUD_SETTINGS["eks"]["node_role_arn"],
        "subnetIds": CLOUD_SETTINGS["eks"]["subnet_ids"],
        "instanceTypes": ["g5.12xlarge"],
        "amiType": "AL2023_x86_64_NVIDIA",
        "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 1},
        "labels": {"workload": "inference"},
        "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
    }
    assert resource.ignore_changes == ("scalingConfig.desiredSize",)  # the autoscaler's


def test_bottlerocket_gpu_node_group() -> None:
    spec = cloud_pool("eks", "gpu", "g4dn.xlarge", settings={"ami_type": "BOTTLEROCKET_x86_64_NVIDIA"})
    _, inputs = cloud_resource(register(spec), NODE_GROUP_TYPE)
    assert inputs["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"


def test_fpga_node_group_on_f1() -> None:
    spec = cloud_pool("eks", "fpga", "f1.2xlarge", max_nodes=2, settings={"pool_name": "fpga_f1"})
    _, inputs = cloud_resource(register(spec), NODE_GROUP_TYPE)
    assert inputs["nodeGroupName"] == "fpga_f1"
    assert inputs["instanceTypes"] == ["f1.2xlarge"]
    assert inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert inputs["taints"] == [{"key": "fpga", "value": "present", "effect": "NO_SCHEDULE"}]
    assert inputs["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 0}


def test_cpu_node_group_with_a_taint_without_value() -> None:
    spec = cloud_pool("eks", "cpu", {"name": "m6i.2xlarge"}, taints=[{"key": "batch", "effect": "NoExecute"}])
    _, inputs = cloud_resource(register(spec), NODE_GROUP_TYPE)
    assert inputs["instanceTypes"] == ["m6i.2xlarge"]
    assert inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert inputs["taints"] == [{"key": "batch", "effect": "NO_EXECUTE"}]
    assert inputs["labels"] == {}
