"""The accelerator SKU catalog: what each GPU or FPGA node type gives a model version.

A node pool names a SKU (the cloud's instance type, e.g. ``Standard_NC6s_v3``, ``g5.xlarge``,
``a2-highgpu-1g``); the catalog says which cloud's node type it is, which accelerator it carries,
how many per node, the Kubernetes extended resource a pod requests for it, the taint such nodes
usually carry and the device plugin that advertises the resource. Clouds set the well-known label
``node.kubernetes.io/instance-type`` to the SKU name, which is how versions are placed on a pool.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from specification.clouds import PoolCloud

__all__ = [
    "AcceleratorKind",
    "DevicePlugin",
    "SkuSpec",
    "SKU_CATALOG",
    "NVIDIA_GPU_RESOURCE",
    "NVIDIA_DEVICE_PLUGIN_IMAGE",
    "XILINX_FPGA_PLUGIN_IMAGE",
    "lookup_sku",
]

NVIDIA_GPU_RESOURCE = "nvidia.com/gpu"
NVIDIA_DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"
XILINX_FPGA_PLUGIN_IMAGE = "xilinxatg/xilinx_k8s_fpga_plugin:2022.1.6"


class AcceleratorKind(StrEnum):
    """Which accelerator a node type carries."""

    NONE = "none"
    GPU = "gpu"
    FPGA = "fpga"


class DevicePlugin(StrEnum):
    """Who advertises the accelerator resource to the kubelet on these nodes."""

    NONE = "none"  # no accelerator, nothing to advertise
    NVIDIA = "nvidia"  # NVIDIA's k8s-device-plugin DaemonSet, deployed with the pool
    XILINX = "xilinx"  # Xilinx's FPGA device plugin DaemonSet, deployed with the pool
    MANAGED = "managed"  # the cloud installs it (GKE's GPU node pools): nothing to deploy


class SkuSpec(BaseModel):
    """One node type: a catalog entry, or a custom SKU declared inline in a node pool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        min_length=1,
        max_length=63,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The cloud's instance type, as nodes carry it in the label "
        "`node.kubernetes.io/instance-type`.",
    )
    accelerator: AcceleratorKind = Field(
        default=AcceleratorKind.NONE, description="Accelerator kind: `gpu`, `fpga` or `none`."
    )
    accelerators_per_node: int = Field(
        default=0, ge=0, description="How many accelerators one node of this SKU has."
    )
    accelerator_model: str = Field(default="", description="The accelerator's model, for people.")
    resource_name: str = Field(
        default="",
        pattern=r"^$|^[a-z0-9.-]+/[A-Za-z0-9._-]+$",
        description="The Kubernetes extended resource a pod requests for one accelerator, e.g. "
        "`nvidia.com/gpu`.",
    )
    device_plugin: DevicePlugin = Field(
        default=DevicePlugin.NONE, description="Who advertises the resource on these nodes."
    )
    taint_key: str = Field(
        default="",
        description="Taint key such nodes carry by convention (NoSchedule); pools use it unless "
        "they list their own taints.",
    )
    cloud: PoolCloud | None = Field(
        default=None,
        description="The cloud whose node type this is (`aks`, `eks`, `gke`); a pool that creates "
        "its nodes in another cloud is refused. Unset: usable with any pool.",
    )
    accelerator_type: str = Field(
        default="",
        pattern=r"^$|^[a-z0-9][a-z0-9-]{0,62}$",
        description="The cloud's name of the accelerator where its API asks for one: GKE's "
        "accelerator type (e.g. `nvidia-l4`), needed by a GPU pool with `cloud: gke`.",
    )

    @model_validator(mode="after")
    def _accelerator_fields_agree(self) -> SkuSpec:
        if self.accelerator is AcceleratorKind.NONE:
            if self.accelerators_per_node or self.resource_name:
                raise ValueError(
                    f"SKU {self.name}: accelerator is 'none', so accelerators_per_node must be 0 "
                    "and resource_name empty"
                )
        elif self.accelerators_per_node < 1 or not self.resource_name:
            raise ValueError(
                f"SKU {self.name}: a {self.accelerator.value} SKU needs accelerators_per_node >= 1 "
                "and a resource_name"
            )
        return self


def _gpu(cloud: PoolCloud, name: str, count: int, model: str, accelerator_type: str = "") -> SkuSpec:
    return SkuSpec(
        name=name,
        accelerator=AcceleratorKind.GPU,
        accelerators_per_node=count,
        accelerator_model=model,
        resource_name=NVIDIA_GPU_RESOURCE,
        # GKE installs the NVIDIA driver and device plugin on its GPU nodes itself
        device_plugin=DevicePlugin.MANAGED if cloud == "gke" else DevicePlugin.NVIDIA,
        taint_key=NVIDIA_GPU_RESOURCE,
        cloud=cloud,
        accelerator_type=accelerator_type,
    )


def _fpga(cloud: PoolCloud, name: str, count: int, model: str, resource: str) -> SkuSpec:
    return SkuSpec(
        name=name,
        accelerator=AcceleratorKind.FPGA,
        accelerators_per_node=count,
        accelerator_model=model,
        resource_name=resource,
        device_plugin=DevicePlugin.XILINX,
        taint_key="fpga",
        cloud=cloud,
    )


# Xilinx's plugin names the resource after the shell flashed on the card; these are the shells the
# clouds ship. A pool whose cards carry another shell sets `accelerator_resource_name`.
_AZURE_U250 = "xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_2_1-0"
_AWS_F1 = "xilinx.com/fpga-xilinx_aws-vu9p-f1_dynamic_5_0-0"

SKU_CATALOG: dict[str, SkuSpec] = {
    sku.name: sku
    for sku in (
        # Azure (AKS)
        _gpu("aks", "Standard_NC4as_T4_v3", 1, "NVIDIA T4"),
        _gpu("aks", "Standard_NC8as_T4_v3", 1, "NVIDIA T4"),
        _gpu("aks", "Standard_NC16as_T4_v3", 1, "NVIDIA T4"),
        _gpu("aks", "Standard_NC64as_T4_v3", 4, "NVIDIA T4"),
        _gpu("aks", "Standard_NC6s_v3", 1, "NVIDIA V100 16GB"),
        _gpu("aks", "Standard_NC12s_v3", 2, "NVIDIA V100 16GB"),
        _gpu("aks", "Standard_NC24s_v3", 4, "NVIDIA V100 16GB"),
        _gpu("aks", "Standard_NC24ads_A100_v4", 1, "NVIDIA A100 80GB"),
        _gpu("aks", "Standard_NC48ads_A100_v4", 2, "NVIDIA A100 80GB"),
        _gpu("aks", "Standard_NC96ads_A100_v4", 4, "NVIDIA A100 80GB"),
        _gpu("aks", "Standard_ND96asr_v4", 8, "NVIDIA A100 40GB"),
        _gpu("aks", "Standard_ND96amsr_A100_v4", 8, "NVIDIA A100 80GB"),
        _fpga("aks", "Standard_NP10s", 1, "Xilinx Alveo U250", _AZURE_U250),
        _fpga("aks", "Standard_NP20s", 2, "Xilinx Alveo U250", _AZURE_U250),
        _fpga("aks", "Standard_NP40s", 4, "Xilinx Alveo U250", _AZURE_U250),
        # AWS (EKS)
        _gpu("eks", "g4dn.xlarge", 1, "NVIDIA T4"),
        _gpu("eks", "g4dn.12xlarge", 4, "NVIDIA T4"),
        _gpu("eks", "g5.xlarge", 1, "NVIDIA A10G"),
        _gpu("eks", "g5.2xlarge", 1, "NVIDIA A10G"),
        _gpu("eks", "g5.12xlarge", 4, "NVIDIA A10G"),
        _gpu("eks", "g5.48xlarge", 8, "NVIDIA A10G"),
        _gpu("eks", "p3.2xlarge", 1, "NVIDIA V100 16GB"),
        _gpu("eks", "p3.8xlarge", 4, "NVIDIA V100 16GB"),
        _gpu("eks", "p4d.24xlarge", 8, "NVIDIA A100 40GB"),
        _fpga("eks", "f1.2xlarge", 1, "Xilinx Virtex UltraScale+ VU9P", _AWS_F1),
        _fpga("eks", "f1.4xlarge", 2, "Xilinx Virtex UltraScale+ VU9P", _AWS_F1),
        _fpga("eks", "f1.16xlarge", 8, "Xilinx Virtex UltraScale+ VU9P", _AWS_F1),
        # Google Cloud (GKE installs the NVIDIA driver and device plugin itself)
        _gpu("gke", "a2-highgpu-1g", 1, "NVIDIA A100 40GB", "nvidia-tesla-a100"),
        _gpu("gke", "a2-highgpu-2g", 2, "NVIDIA A100 40GB", "nvidia-tesla-a100"),
        _gpu("gke", "a2-highgpu-4g", 4, "NVIDIA A100 40GB", "nvidia-tesla-a100"),
        _gpu("gke", "a2-highgpu-8g", 8, "NVIDIA A100 40GB", "nvidia-tesla-a100"),
        _gpu("gke", "a2-megagpu-16g", 16, "NVIDIA A100 40GB", "nvidia-tesla-a100"),
        _gpu("gke", "a2-ultragpu-1g", 1, "NVIDIA A100 80GB", "nvidia-a100-80gb"),
        _gpu("gke", "g2-standard-4", 1, "NVIDIA L4", "nvidia-l4"),
    )
}


def lookup_sku(name: str) -> SkuSpec:
    """Return the catalog entry for `name`, or raise ValueError listing the known SKUs."""
    try:
        return SKU_CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(SKU_CATALOG, key=str.lower))
        raise ValueError(
            f"unknown SKU {name!r}; known SKUs: {known}. For another node type, declare the SKU "
            "inline: {name, accelerator, accelerators_per_node, resource_name, device_plugin}"
        ) from None
