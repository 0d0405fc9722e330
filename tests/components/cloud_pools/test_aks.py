"""The AKS agent pool a `cloud: aks` NodePool registers, with the real pulumi-azure-native SDK."""

from __future__ import annotations

from components.cloud_pools.aks import AGENT_POOL_TYPE
from tests.components.cloud_pools.registered import cloud_resource, register
from tests.specs import cloud_pool

CPU_SKU = {"name": "Standard_D8s_v5"}


def test_gpu_pool_is_a_user_pool_of_the_vm_size_with_autoscaler_labels_taints_and_driver() -> None:
    spec = cloud_pool(
        "aks", "gput4", "Standard_NC4as_T4_v3", min_nodes=1, max_nodes=4, labels={"workload": "inference"}
    )
    resource, inputs = cloud_resource(register(spec), AGENT_POOL_TYPE)
    assert resource.name == "gput4-agent-pool"
    assert inputs == {
        "resourceGroupName": "ml-platform",
        "resourceName": "inference",
        "agentPoolName": "gput4",
        "mode": "User",
        "type": "VirtualMachineScaleSets",
        "osType": "Linux",
        "vmSize": "Standard_NC4as_T4_v3",
        "enableAutoScaling": True,
        "minCount": 1,
        "maxCount": 4,
        "count": 1,
        "nodeLabels": {"workload": "inference"},
        "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
        "gpuProfile": {"driver": "Install"},
    }
    assert resource.ignore_changes == ("count",)  # the autoscaler's, not reset by `up`


def test_gpu_driver_left_to_an_operator() -> None:
    spec = cloud_pool("aks", "gpu", "Standard_NC24ads_A100_v4", settings={"gpu_driver": "None"}, install_device_plugin=False)
    _, inputs = cloud_resource(register(spec), AGENT_POOL_TYPE)
    assert inputs["gpuProfile"] == {"driver": "None"}


def test_fpga_pool_on_np_series_has_no_gpu_profile() -> None:
    spec = cloud_pool("aks", "fpga", "Standard_NP20s", max_nodes=2)
    _, inputs = cloud_resource(register(spec), AGENT_POOL_TYPE)
    assert inputs["vmSize"] == "Standard_NP20s"
    assert inputs["nodeTaints"] == ["fpga=present:NoSchedule"]
    assert "gpuProfile" not in inputs
    assert (inputs["minCount"], inputs["maxCount"]) == (0, 2)


def test_cpu_pool_with_its_own_taints_and_name_in_aks() -> None:
    spec = cloud_pool(
        "aks",
        "cpu-pool",
        CPU_SKU,
        settings={"pool_name": "cpu"},
        taints=[{"key": "dedicated", "value": "ml", "effect": "NoExecute"}, {"key": "spot", "effect": "PreferNoSchedule"}],
    )
    _, inputs = cloud_resource(register(spec), AGENT_POOL_TYPE)
    assert inputs["agentPoolName"] == "cpu"
    assert inputs["vmSize"] == "Standard_D8s_v5"
    assert inputs["nodeTaints"] == ["dedicated=ml:NoExecute", "spot=:PreferNoSchedule"]
    assert "gpuProfile" not in inputs

