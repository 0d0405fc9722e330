"""Tests for specification.node_pool: SKU resolution, taints, selectors and pool-level rules."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from specification.node_pool import INSTANCE_TYPE_LABEL, NodePoolSpec, Taint
from specification.skus import SKU_CATALOG, AcceleratorKind, SkuSpec

CPU_SKU: dict[str, Any] = {"name": "Standard_D4s_v3"}


def _pool(**fields: Any) -> NodePoolSpec:
    return NodePoolSpec.model_validate({"name": "pool", "sku": "Standard_NC6s_v3", **fields})


def test_defaults() -> None:
    pool = _pool()
    assert pool.min_nodes == 0
    assert pool.max_nodes == 1
    assert pool.labels == {}
    assert pool.taints is None
    assert pool.accelerator_resource_name is None
    assert pool.install_device_plugin is True
    assert pool.device_plugin_namespace == "kube-system"


def test_instance_type_label() -> None:
    assert INSTANCE_TYPE_LABEL == "node.kubernetes.io/instance-type"


def test_gpu_pool_from_catalog() -> None:
    pool = _pool(name="gpu", sku="Standard_NC24s_v3")
    assert pool.sku_spec is SKU_CATALOG["Standard_NC24s_v3"]
    assert pool.accelerator is AcceleratorKind.GPU
    assert pool.accelerators_per_node == 4
    assert pool.resource_name == "nvidia.com/gpu"
    assert pool.node_selector == {"node.kubernetes.io/instance-type": "Standard_NC24s_v3"}
    assert pool.effective_taints == [Taint(key="nvidia.com/gpu", value="present", effect="NoSchedule")]


def test_fpga_pool_from_catalog() -> None:
    pool = _pool(name="fpga", sku="f1.2xlarge")
    assert pool.accelerator is AcceleratorKind.FPGA
    assert pool.accelerators_per_node == 1
    assert pool.resource_name == SKU_CATALOG["f1.2xlarge"].resource_name
    assert pool.resource_name.startswith("xilinx.com/fpga-")
    assert pool.effective_taints == [Taint(key="fpga", value="present", effect="NoSchedule")]


def test_cpu_pool_with_inline_sku_has_no_accelerator_and_no_taint() -> None:
    pool = _pool(name="cpu", sku=CPU_SKU)
    assert isinstance(pool.sku, SkuSpec)
    assert pool.accelerator is AcceleratorKind.NONE
    assert pool.accelerators_per_node == 0
    assert pool.resource_name == ""
    assert pool.effective_taints == []
    assert pool.node_selector == {"node.kubernetes.io/instance-type": "Standard_D4s_v3"}


def test_custom_gpu_sku_inline() -> None:
    pool = _pool(
        sku={
            "name": "custom.gpu",
            "accelerator": "gpu",
            "accelerators_per_node": 2,
            "resource_name": "nvidia.com/gpu",
            "device_plugin": "nvidia",
            "taint_key": "nvidia.com/gpu",
        }
    )
    assert pool.sku_spec.name == "custom.gpu"
    assert pool.accelerator is AcceleratorKind.GPU
    assert pool.accelerators_per_node == 2
    assert pool.node_selector == {INSTANCE_TYPE_LABEL: "custom.gpu"}


def test_inconsistent_inline_sku_is_rejected() -> None:
    with pytest.raises(
        ValidationError, match=r"sku\.function-after.*\n.*SKU custom\.gpu: a gpu SKU needs accelerators_per_node >= 1"
    ):
        _pool(sku={"name": "custom.gpu", "accelerator": "gpu", "resource_name": "nvidia.com/gpu"})


def test_unknown_sku_name_is_rejected_listing_known_skus() -> None:
    with pytest.raises(ValidationError, match=r"\nsku\n  Value error, unknown SKU 'Standard_NC6'; known SKUs: ") as info:
        _pool(sku="Standard_NC6")
    assert "Standard_NC6s_v3" in str(info.value)
    assert "g5.xlarge" in str(info.value)


def test_labels_are_added_to_the_selector() -> None:
    pool = _pool(labels={"accelerator-pool": "a", "example.com/tier": "gold"})
    assert pool.node_selector == {
        "node.kubernetes.io/instance-type": "Standard_NC6s_v3",
        "accelerator-pool": "a",
        "example.com/tier": "gold",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [("bad key", "x"), ("-key", "x"), ("key", "bad value"), ("key", "x" * 64), ("key", "a\n"), ("Example.com/k", "v")],
)
def test_invalid_labels_are_rejected(key: str, value: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(f"labels: {key!r}: {value!r} is not a valid Kubernetes label")):
        _pool(labels={key: value})


def test_explicit_taints_replace_the_sku_taint() -> None:
    pool = _pool(taints=[{"key": "dedicated", "value": "ml", "effect": "NoExecute"}])
    assert pool.effective_taints == [Taint(key="dedicated", value="ml", effect="NoExecute")]


def test_empty_taints_mean_no_taints() -> None:
    assert _pool(taints=[]).effective_taints == []


def test_taint_defaults_and_rules() -> None:
    taint = Taint(key="k")
    assert (taint.value, taint.effect) == ("", "NoSchedule")
    with pytest.raises(ValidationError, match=r"effect\n  Input should be 'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"):
        Taint(key="k", effect="NoRun")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"key\n  String should match pattern"):
        Taint(key="bad key")
    with pytest.raises(ValidationError, match=r"value\n  String should match pattern"):
        Taint(key="k", value="a;b")
    with pytest.raises(ValidationError, match=r"operator\n  Extra inputs are not permitted"):
        Taint.model_validate({"key": "k", "operator": "Exists"})


def test_min_nodes_above_max_nodes_is_rejected() -> None:
    with pytest.raises(ValidationError, match=re.escape("min_nodes (3) must be <= max_nodes (2)")):
        _pool(min_nodes=3, max_nodes=2)


def test_min_nodes_equal_to_max_nodes_is_accepted() -> None:
    pool = _pool(min_nodes=2, max_nodes=2)
    assert (pool.min_nodes, pool.max_nodes) == (2, 2)


def test_node_count_bounds() -> None:
    with pytest.raises(ValidationError, match=r"max_nodes\n  Input should be greater than or equal to 1"):
        _pool(max_nodes=0)
    with pytest.raises(ValidationError, match=r"min_nodes\n  Input should be greater than or equal to 0"):
        _pool(min_nodes=-1)


def test_accelerator_resource_name_overrides_the_sku() -> None:
    override = "xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_3_1-0"
    pool = _pool(sku="Standard_NP10s", accelerator_resource_name=override)
    assert pool.resource_name == override
    assert pool.sku_spec.resource_name != override


def test_accelerator_resource_name_on_a_cpu_sku_is_rejected() -> None:
    with pytest.raises(ValidationError, match="accelerator_resource_name is set but the SKU has no accelerator"):
        _pool(sku=CPU_SKU, accelerator_resource_name="nvidia.com/gpu")


def test_accelerator_resource_name_pattern() -> None:
    with pytest.raises(ValidationError, match=r"accelerator_resource_name\n  String should match pattern"):
        _pool(accelerator_resource_name="gpu")


@pytest.mark.parametrize("field", ["max_node", "maxNodes", "instance_type", "taint"])
def test_unknown_fields_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"\n{field}\n  Extra inputs are not permitted"):
        _pool(**{field: 1})


def test_pool_is_frozen() -> None:
    pool = _pool()
    with pytest.raises(ValidationError, match=r"max_nodes\n  Instance is frozen"):
        pool.max_nodes = 5  # type: ignore[misc]


def test_labels_cannot_override_the_instance_type() -> None:
    with pytest.raises(ValidationError, match="node.kubernetes.io/instance-type is set from the SKU"):
        NodePoolSpec(name="gpu", sku="g5.xlarge", labels={"node.kubernetes.io/instance-type": "m5.large"})


# --- cloud: which cloud creates the pool (its rules: test_cloud_rules.py) ------------------------

AKS_SETTINGS: dict[str, Any] = {"resource_group_name": "ml-platform", "cluster_name": "inference"}
EKS_SETTINGS: dict[str, Any] = {
    "cluster_name": "inference",
    "node_role_arn": "arn:aws:iam::123456789012:role/inference-nodes",
    "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
}
GKE_SETTINGS: dict[str, Any] = {"project": "ml-platform-prod", "location": "us-central1", "cluster": "inference"}
SETTINGS = {"aks": AKS_SETTINGS, "eks": EKS_SETTINGS, "gke": GKE_SETTINGS}
# one catalog SKU of each cloud
CLOUD_SKU = {"aks": "Standard_NC4as_T4_v3", "eks": "g5.xlarge", "gke": "g2-standard-4"}


def _cloud_pool(cloud: str, **fields: Any) -> NodePoolSpec:
    fields.setdefault("sku", CLOUD_SKU[cloud])
    return _pool(name="gpu", cloud=cloud, **{cloud: SETTINGS[cloud]}, **fields)


def test_cloud_defaults_to_none_and_creates_nothing() -> None:
    pool = _pool()
    assert pool.cloud == "none"
    assert (pool.aks, pool.eks, pool.gke) == (None, None, None)
    assert pool.creates_nodes is False


@pytest.mark.parametrize("cloud", ["aks", "eks", "gke"])
def test_a_cloud_pool_with_its_settings(cloud: str) -> None:
    pool = _cloud_pool(cloud)
    assert pool.creates_nodes is True
    assert pool.cloud_pool_name == "gpu"
    assert pool.sku_spec.cloud == cloud


@pytest.mark.parametrize("cloud", ["eks", "gke"])
def test_pool_name_in_the_cloud_defaults_to_the_pools_name(cloud: str) -> None:
    assert _pool(name="gpu-t4", cloud=cloud, sku=CLOUD_SKU[cloud], **{cloud: SETTINGS[cloud]}).cloud_pool_name == "gpu-t4"
    renamed = {**SETTINGS[cloud], "pool_name": "gpu-nodes"}
    assert _pool(name="gpu-t4", cloud=cloud, sku=CLOUD_SKU[cloud], **{cloud: renamed}).cloud_pool_name == "gpu-nodes"


def test_eks_ami_type_follows_the_sku_unless_set() -> None:
    assert _cloud_pool("eks").eks_ami_type == "AL2023_x86_64_NVIDIA"
    assert _cloud_pool("eks", sku="f1.2xlarge").eks_ami_type == "AL2023_x86_64_STANDARD"
    assert _cloud_pool("eks", sku=CPU_SKU).eks_ami_type == "AL2023_x86_64_STANDARD"
    arm = {**EKS_SETTINGS, "ami_type": "AL2023_ARM_64_NVIDIA"}
    assert _pool(name="gpu", cloud="eks", sku="g5.xlarge", eks=arm).eks_ami_type == "AL2023_ARM_64_NVIDIA"


def test_who_runs_the_device_plugin() -> None:
    from specification.skus import DevicePlugin

    assert _pool(sku="Standard_NC4as_T4_v3").device_plugin is DevicePlugin.NVIDIA
    assert _cloud_pool("aks").device_plugin is DevicePlugin.NVIDIA  # AKS installs the driver only
    assert _cloud_pool("aks", sku="Standard_NP10s").device_plugin is DevicePlugin.XILINX
    assert _cloud_pool("eks").device_plugin is DevicePlugin.NVIDIA  # AL2023 NVIDIA: driver only
    bottlerocket = {**EKS_SETTINGS, "ami_type": "BOTTLEROCKET_x86_64_NVIDIA"}
    assert _pool(name="gpu", cloud="eks", sku="g5.xlarge", eks=bottlerocket).device_plugin is DevicePlugin.MANAGED
    assert _cloud_pool("gke").device_plugin is DevicePlugin.MANAGED
    inline_gpu = {
        "name": "n1-standard-8",
        "accelerator": "gpu",
        "accelerators_per_node": 1,
        "resource_name": "nvidia.com/gpu",
        "device_plugin": "nvidia",
        "accelerator_type": "nvidia-tesla-t4",
    }
    assert _cloud_pool("gke", sku=inline_gpu).device_plugin is DevicePlugin.MANAGED  # GKE runs it anyway
    assert _pool(sku=inline_gpu).device_plugin is DevicePlugin.NVIDIA
    assert _cloud_pool("gke", sku=CPU_SKU).device_plugin is DevicePlugin.NONE

