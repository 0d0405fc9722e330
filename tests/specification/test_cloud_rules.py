"""Tests for specification.cloud_rules: a pool created in a cloud needs that cloud's settings and
SKU, and what the cloud's API would refuse fails at validation, naming the field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from specification.node_pool import NodePoolSpec
from specification.skus import SKU_CATALOG

CPU_SKU: dict[str, Any] = {"name": "Standard_D4s_v3"}


def _pool(**fields: Any) -> NodePoolSpec:
    return NodePoolSpec.model_validate({"name": "pool", "sku": "Standard_NC6s_v3", **fields})


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
TITLES = {"aks": r"AKS \(Azure\)", "eks": r"EKS \(AWS\)", "gke": r"GKE \(Google Cloud\)"}


def _cloud_pool(cloud: str, **fields: Any) -> NodePoolSpec:
    fields.setdefault("sku", CLOUD_SKU[cloud])
    return _pool(name="gpu", cloud=cloud, **{cloud: SETTINGS[cloud]}, **fields)


@pytest.mark.parametrize("cloud", ["aks", "eks", "gke"])
def test_a_cloud_pool_needs_its_settings_block(cloud: str) -> None:
    with pytest.raises(ValidationError, match=rf"{cloud}: cloud is '{cloud}', so the pool needs its {cloud} settings: \{{"):
        _pool(name="gpu", cloud=cloud, sku=CLOUD_SKU[cloud])


@pytest.mark.parametrize(("block", "cloud"), [("aks", "none"), ("eks", "aks"), ("gke", "eks")])
def test_settings_of_another_cloud_are_refused(block: str, cloud: str) -> None:
    fields: dict[str, Any] = {block: SETTINGS[block], "cloud": cloud}
    if cloud != "none":
        fields[cloud] = SETTINGS[cloud]
        fields["sku"] = CLOUD_SKU[cloud]
    with pytest.raises(ValidationError, match=rf"{block}: settings for {block}, but cloud is '{cloud}'"):
        _pool(name="gpu", **fields)


def test_unknown_cloud_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"\ncloud\n  Input should be 'none', 'aks', 'eks' or 'gke'"):
        _pool(cloud="azure")


@pytest.mark.parametrize("cloud", ["aks", "eks", "gke"])
@pytest.mark.parametrize("sku", ["Standard_NC4as_T4_v3", "Standard_NP10s", "g5.xlarge", "f1.2xlarge", "a2-highgpu-1g"])
def test_a_catalog_sku_of_another_cloud_is_refused_naming_the_field(cloud: str, sku: str) -> None:
    sku_cloud = SKU_CATALOG[sku].cloud
    if sku_cloud == cloud:
        assert _cloud_pool(cloud, sku=sku).sku_spec.name == sku
        return
    with pytest.raises(ValidationError, match=rf"sku: {re.escape(sku)} is a node type of .*, but cloud is '{cloud}'; use a node type of {TITLES[cloud]} \("):
        _cloud_pool(cloud, sku=sku)


def test_the_mismatch_message_lists_the_clouds_skus() -> None:
    with pytest.raises(ValidationError) as info:
        _cloud_pool("eks", sku="Standard_NC4as_T4_v3")
    message = str(info.value)
    assert "sku: Standard_NC4as_T4_v3 is a node type of AKS (Azure), but cloud is 'eks'" in message
    assert "g5.xlarge" in message and "f1.2xlarge" in message and "a2-highgpu-1g" not in message
    assert "or declare the SKU inline" in message


def test_any_catalog_sku_still_describes_existing_nodes() -> None:
    for name in SKU_CATALOG:
        assert _pool(sku=name).cloud == "none"


def test_an_inline_sku_without_a_cloud_goes_anywhere_and_one_with_a_cloud_only_there() -> None:
    assert _cloud_pool("eks", sku=CPU_SKU).sku_spec.cloud is None
    with pytest.raises(ValidationError, match="sku: Standard_D4s_v3 is a node type of AKS"):
        _cloud_pool("eks", sku={**CPU_SKU, "cloud": "aks"})


def test_aks_needs_a_pool_name_aks_accepts() -> None:
    with pytest.raises(
        ValidationError, match=r"aks\.pool_name: AKS names a Linux agent pool with 1-12 lowercase .* 'gpu-t4' is not one"
    ):
        _pool(name="gpu-t4", sku="Standard_NC4as_T4_v3", cloud="aks", aks=AKS_SETTINGS)
    pool = _pool(name="gpu-t4", sku="Standard_NC4as_T4_v3", cloud="aks", aks={**AKS_SETTINGS, "pool_name": "gput4"})
    assert pool.cloud_pool_name == "gput4"


def test_gke_has_no_fpgas() -> None:
    fpga = {
        "name": "fpga.x1",
        "accelerator": "fpga",
        "accelerators_per_node": 1,
        "resource_name": "xilinx.com/fpga-x",
        "device_plugin": "xilinx",
    }
    with pytest.raises(ValidationError, match="sku: fpga.x1 has FPGAs, and GKE has no FPGA node types"):
        _cloud_pool("gke", sku=fpga)


def test_a_gke_gpu_sku_needs_gkes_accelerator_type() -> None:
    gpu = {"name": "n1-standard-8", "accelerator": "gpu", "accelerators_per_node": 1, "resource_name": "nvidia.com/gpu"}
    with pytest.raises(ValidationError, match=r"sku\.accelerator_type: a GPU pool with cloud 'gke' needs GKE's accelerator type for n1-standard-8"):
        _cloud_pool("gke", sku=gpu)
    assert _cloud_pool("gke", sku={**gpu, "accelerator_type": "nvidia-tesla-t4"}).sku_spec.accelerator_type


def test_eks_gpu_pool_with_an_ami_without_nvidia_driver_is_refused() -> None:
    settings = {**EKS_SETTINGS, "ami_type": "AL2023_x86_64_STANDARD"}
    with pytest.raises(ValidationError, match=r"eks\.ami_type: AL2023_x86_64_STANDARD has no NVIDIA driver, but SKU g5\.xlarge has GPUs"):
        _pool(name="gpu", cloud="eks", sku="g5.xlarge", eks=settings)


def test_eks_taint_keys_fit_eks() -> None:
    long_key = "example.com/" + "k" * 60
    with pytest.raises(ValidationError, match=r"taints\[0\]\.key: EKS allows taint keys of at most 63 characters"):
        _cloud_pool("eks", taints=[{"key": long_key}])
    assert _cloud_pool("aks", taints=[{"key": long_key}]).effective_taints[0].key == long_key
