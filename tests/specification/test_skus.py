"""Tests for specification.skus: the GPU/FPGA SKU catalog, lookup errors and custom SKU consistency."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from specification.skus import (
    NVIDIA_GPU_RESOURCE,
    SKU_CATALOG,
    AcceleratorKind,
    DevicePlugin,
    SkuSpec,
    lookup_sku,
)

GPU = AcceleratorKind.GPU
FPGA = AcceleratorKind.FPGA
AZURE_U250_PREFIX = "xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_2_1-"
AWS_F1_PREFIX = "xilinx.com/fpga-xilinx_aws-vu9p-f1_dynamic_5_0-"

# (sku, accelerator, per node, model substring, device plugin)
EXPECTED: list[tuple[str, AcceleratorKind, int, str, DevicePlugin]] = [
    # Azure
    ("Standard_NC4as_T4_v3", GPU, 1, "T4", DevicePlugin.NVIDIA),
    ("Standard_NC64as_T4_v3", GPU, 4, "T4", DevicePlugin.NVIDIA),
    ("Standard_NC6s_v3", GPU, 1, "V100", DevicePlugin.NVIDIA),
    ("Standard_NC12s_v3", GPU, 2, "V100", DevicePlugin.NVIDIA),
    ("Standard_NC24s_v3", GPU, 4, "V100", DevicePlugin.NVIDIA),
    ("Standard_NC24ads_A100_v4", GPU, 1, "A100", DevicePlugin.NVIDIA),
    ("Standard_NC96ads_A100_v4", GPU, 4, "A100", DevicePlugin.NVIDIA),
    ("Standard_ND96asr_v4", GPU, 8, "A100", DevicePlugin.NVIDIA),
    ("Standard_ND96amsr_A100_v4", GPU, 8, "A100", DevicePlugin.NVIDIA),
    ("Standard_NP10s", FPGA, 1, "U250", DevicePlugin.XILINX),
    ("Standard_NP20s", FPGA, 2, "U250", DevicePlugin.XILINX),
    ("Standard_NP40s", FPGA, 4, "U250", DevicePlugin.XILINX),
    # AWS
    ("g4dn.xlarge", GPU, 1, "T4", DevicePlugin.NVIDIA),
    ("g5.xlarge", GPU, 1, "A10G", DevicePlugin.NVIDIA),
    ("g5.12xlarge", GPU, 4, "A10G", DevicePlugin.NVIDIA),
    ("g5.48xlarge", GPU, 8, "A10G", DevicePlugin.NVIDIA),
    ("p3.2xlarge", GPU, 1, "V100", DevicePlugin.NVIDIA),
    ("p4d.24xlarge", GPU, 8, "A100", DevicePlugin.NVIDIA),
    ("f1.2xlarge", FPGA, 1, "VU9P", DevicePlugin.XILINX),
    ("f1.4xlarge", FPGA, 2, "VU9P", DevicePlugin.XILINX),
    ("f1.16xlarge", FPGA, 8, "VU9P", DevicePlugin.XILINX),
    # GCP (GKE manages the device plugin)
    ("a2-highgpu-1g", GPU, 1, "A100", DevicePlugin.MANAGED),
    ("a2-highgpu-8g", GPU, 8, "A100", DevicePlugin.MANAGED),
    ("a2-megagpu-16g", GPU, 16, "A100", DevicePlugin.MANAGED),
    ("a2-ultragpu-1g", GPU, 1, "A100 80GB", DevicePlugin.MANAGED),
    ("g2-standard-4", GPU, 1, "L4", DevicePlugin.MANAGED),
]


@pytest.mark.parametrize(("name", "kind", "count", "model", "plugin"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_catalog_entry(name: str, kind: AcceleratorKind, count: int, model: str, plugin: DevicePlugin) -> None:
    sku = lookup_sku(name)
    assert sku is SKU_CATALOG[name]
    assert sku.name == name
    assert sku.accelerator is kind
    assert sku.accelerators_per_node == count
    assert model in sku.accelerator_model
    assert sku.device_plugin is plugin
    if kind is GPU:
        assert sku.resource_name == "nvidia.com/gpu"
        assert sku.taint_key == "nvidia.com/gpu"
    else:
        prefix = AZURE_U250_PREFIX if name.startswith("Standard_") else AWS_F1_PREFIX
        assert re.fullmatch(re.escape(prefix) + r"\d+", sku.resource_name), sku.resource_name
        assert sku.taint_key == "fpga"


def test_nvidia_resource_name() -> None:
    assert NVIDIA_GPU_RESOURCE == "nvidia.com/gpu"


def test_catalog_covers_every_cloud_and_both_accelerators() -> None:
    kinds = {sku.accelerator for sku in SKU_CATALOG.values()}
    assert kinds == {GPU, FPGA}
    assert any(n.startswith("Standard_NC") for n in SKU_CATALOG)
    assert any(n.startswith("Standard_ND") for n in SKU_CATALOG)
    assert any(n.startswith("Standard_NP") for n in SKU_CATALOG)
    assert any(n.startswith("g5.") for n in SKU_CATALOG)
    assert any(n.startswith("p4d.") for n in SKU_CATALOG)
    assert any(n.startswith("f1.") for n in SKU_CATALOG)
    assert any(n.startswith("a2-") for n in SKU_CATALOG)


@pytest.mark.parametrize("name", sorted(SKU_CATALOG))
def test_catalog_entries_are_consistent(name: str) -> None:
    sku = SKU_CATALOG[name]
    assert sku.name == name  # keyed by its own name
    assert sku.accelerators_per_node >= 1
    assert sku.accelerator_model
    if sku.accelerator is GPU:
        assert sku.resource_name == NVIDIA_GPU_RESOURCE
        assert sku.device_plugin in (DevicePlugin.NVIDIA, DevicePlugin.MANAGED)
    else:
        assert sku.accelerator is FPGA
        assert sku.resource_name.startswith("xilinx.com/fpga-")
        assert sku.device_plugin is DevicePlugin.XILINX
    assert SkuSpec.model_validate(sku.model_dump()) == sku  # round-trips through its own validation


def test_catalog_entries_are_frozen() -> None:
    with pytest.raises(ValidationError, match=r"accelerators_per_node\n  Instance is frozen"):
        SKU_CATALOG["Standard_NC6s_v3"].accelerators_per_node = 4  # type: ignore[misc]


def test_unknown_sku_error_lists_every_known_sku() -> None:
    with pytest.raises(ValueError, match=r"unknown SKU 'Standard_NC6'; known SKUs: ") as info:
        lookup_sku("Standard_NC6")
    message = str(info.value)
    for name in SKU_CATALOG:
        assert name in message
    assert "declare the SKU inline" in message


def test_lookup_is_exact() -> None:
    with pytest.raises(ValueError, match="unknown SKU 'standard_nc6s_v3'"):
        lookup_sku("standard_nc6s_v3")


def test_custom_cpu_sku_defaults() -> None:
    sku = SkuSpec(name="Standard_D4s_v3")
    assert sku.accelerator is AcceleratorKind.NONE
    assert sku.accelerators_per_node == 0
    assert sku.resource_name == ""
    assert sku.device_plugin is DevicePlugin.NONE
    assert sku.taint_key == ""


def test_custom_gpu_sku_declared_inline() -> None:
    sku = SkuSpec.model_validate(
        {
            "name": "n1-standard-8.t4x2",
            "accelerator": "gpu",
            "accelerators_per_node": 2,
            "accelerator_model": "NVIDIA T4",
            "resource_name": "nvidia.com/gpu",
            "device_plugin": "nvidia",
        }
    )
    assert sku.accelerator is GPU
    assert sku.accelerators_per_node == 2
    assert sku.resource_name == "nvidia.com/gpu"
    assert sku.device_plugin is DevicePlugin.NVIDIA


def test_custom_fpga_sku_declared_inline() -> None:
    sku = SkuSpec(
        name="onprem-u280",
        accelerator=FPGA,
        accelerators_per_node=2,
        resource_name="xilinx.com/fpga-xilinx_u280_xdma_201920_3-1579649056",
        device_plugin=DevicePlugin.XILINX,
    )
    assert sku.accelerator is FPGA
    assert sku.resource_name.endswith("-1579649056")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"accelerator": "gpu", "accelerators_per_node": 0, "resource_name": "nvidia.com/gpu"},
            "SKU x1: a gpu SKU needs accelerators_per_node >= 1 and a resource_name",
        ),
        (
            {"accelerator": "gpu", "accelerators_per_node": 1},
            "SKU x1: a gpu SKU needs accelerators_per_node >= 1 and a resource_name",
        ),
        (
            {"accelerator": "fpga", "accelerators_per_node": 1},
            "SKU x1: a fpga SKU needs accelerators_per_node >= 1 and a resource_name",
        ),
        (
            {"accelerators_per_node": 2},
            "SKU x1: accelerator is 'none', so accelerators_per_node must be 0 and resource_name empty",
        ),
        (
            {"resource_name": "nvidia.com/gpu"},
            "SKU x1: accelerator is 'none', so accelerators_per_node must be 0 and resource_name empty",
        ),
    ],
    ids=["gpu-zero-count", "gpu-no-resource", "fpga-no-resource", "none-with-count", "none-with-resource"],
)
def test_inconsistent_custom_sku_is_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        SkuSpec.model_validate({"name": "x1", **fields})


@pytest.mark.parametrize("name", ["", "-g5", "g5 xlarge", "g5/xlarge", "g5\n", "x" * 64])
def test_sku_name_must_be_an_instance_type_label_value(name: str) -> None:
    with pytest.raises(ValidationError, match=r"\nname\n  String should"):
        SkuSpec(name=name)


@pytest.mark.parametrize("resource", ["gpu", "nvidia.com/ gpu", "NVIDIA.com/gpu", "nvidia.com/gpu\n"])
def test_resource_name_must_be_an_extended_resource(resource: str) -> None:
    with pytest.raises(ValidationError, match=r"\nresource_name\n  String should match pattern"):
        SkuSpec(name="x1", accelerator=GPU, accelerators_per_node=1, resource_name=resource)


def test_negative_accelerator_count_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"accelerators_per_node\n  Input should be greater than or equal to 0"):
        SkuSpec(name="x1", accelerators_per_node=-1)


@pytest.mark.parametrize("field", ["accelerators", "gpus_per_node", "resource"])
def test_unknown_sku_fields_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"\n{field}\n  Extra inputs are not permitted"):
        SkuSpec.model_validate({"name": "x1", field: 1})


@pytest.mark.parametrize("kind", ["GPU", "tpu", ""])
def test_unknown_accelerator_kind_is_rejected(kind: str) -> None:
    with pytest.raises(ValidationError, match=r"accelerator\n  Input should be 'none', 'gpu' or 'fpga'"):
        SkuSpec.model_validate({"name": "x1", "accelerator": kind})


@pytest.mark.parametrize("name", sorted(SKU_CATALOG))
def test_each_catalog_sku_names_its_cloud(name: str) -> None:
    sku = SKU_CATALOG[name]
    expected = "aks" if name.startswith("Standard_") else "gke" if name.startswith(("a2-", "g2-")) else "eks"
    assert sku.cloud == expected
    # GKE's API names the GPU of a node pool; the other clouds' APIs take the node type alone
    assert bool(sku.accelerator_type) is (expected == "gke")


def test_gke_accelerator_types() -> None:
    assert SKU_CATALOG["a2-highgpu-1g"].accelerator_type == "nvidia-tesla-a100"
    assert SKU_CATALOG["a2-ultragpu-1g"].accelerator_type == "nvidia-a100-80gb"
    assert SKU_CATALOG["g2-standard-4"].accelerator_type == "nvidia-l4"


def test_custom_sku_has_no_cloud_unless_declared() -> None:
    assert SkuSpec(name="Standard_D4s_v3").cloud is None
    assert SkuSpec(name="Standard_D4s_v3", cloud="aks").cloud == "aks"
    with pytest.raises(ValidationError, match=r"\ncloud\n  Input should be 'aks', 'eks' or 'gke'"):
        SkuSpec.model_validate({"name": "x1", "cloud": "azure"})
    with pytest.raises(ValidationError, match=r"\naccelerator_type\n  String should match pattern"):
        SkuSpec(name="x1", accelerator_type="NVIDIA L4")
