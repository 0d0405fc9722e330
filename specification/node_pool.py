"""Node pool spec: a named group of nodes of one SKU that model versions can be placed on.

With `cloud: none` (the default) the nodes exist already; with `aks`, `eks` or `gke` the pool is
also created in that cloud. The rules that join a SKU to a cloud (`cloud_rules`) run when the spec is
validated, so a mismatch fails at preview with the field named.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from specification.cloud_rules import EKS_GPU_AMI_TYPE, EKS_STANDARD_AMI_TYPE, CloudPoolFacts, check_cloud_pool
from specification.clouds import AksPoolSettings, CloudName, EksPoolSettings, GkePoolSettings
from specification.names import LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN, ResourceName
from specification.skus import AcceleratorKind, DevicePlugin, SkuSpec, lookup_sku

__all__ = ["Taint", "NodePoolSpec", "INSTANCE_TYPE_LABEL"]

INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


class Taint(BaseModel):
    """A Kubernetes taint the pool's nodes carry; versions on the pool get a matching toleration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=LABEL_KEY_PATTERN, description="Taint key.")
    value: str = Field(default="", pattern=LABEL_VALUE_PATTERN, description="Taint value (may be empty).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(
        default="NoSchedule", description="Taint effect."
    )


class NodePoolSpec(BaseModel):
    """A pool of nodes of one SKU. Model versions name it in `node_pool` to run there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ResourceName = Field(description="Pool name, referenced by a version's `node_pool`.")
    sku: str | SkuSpec = Field(
        description="A SKU from the catalog by name (e.g. `Standard_NC6s_v3`, `g5.xlarge`, "
        "`a2-highgpu-1g`, `Standard_NP10s`), or a custom SKU declared inline."
    )
    min_nodes: int = Field(default=0, ge=0, description="Fewest nodes the pool runs.")
    max_nodes: int = Field(default=1, ge=1, description="Most nodes the pool may grow to.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels the pool's nodes carry; versions on the pool select on them as well "
        "as on `node.kubernetes.io/instance-type`.",
    )
    taints: list[Taint] | None = Field(
        default=None,
        description="Taints the pool's nodes carry. Unset: the SKU's conventional taint "
        "(`nvidia.com/gpu` for GPUs, `fpga` for FPGAs, none otherwise). `[]`: no taints.",
    )
    accelerator_resource_name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.-]+/[A-Za-z0-9._-]+$",
        description="Override of the SKU's extended resource name, e.g. for an FPGA flashed "
        "with another shell.",
    )
    install_device_plugin: bool = Field(
        default=True,
        description="Deploy the SKU's device plugin DaemonSet on the pool's nodes. Turn off "
        "where an operator (e.g. NVIDIA's GPU operator) already runs one.",
    )
    device_plugin_namespace: str = Field(
        default="kube-system", description="Namespace of the device plugin DaemonSet."
    )
    cloud: CloudName = Field(
        default="none",
        description="Who creates the pool. `none`: its nodes exist already (the pool deploys the "
        "device plugin and gives versions their selector, tolerations and capacity). `aks`, "
        "`eks`, `gke`: the pool is also created in that cloud's cluster, with the settings of "
        "the block of the same name, and versions on it wait for it.",
    )
    aks: AksPoolSettings | None = Field(
        default=None, description="With `cloud: aks`: where the AKS agent pool goes."
    )
    eks: EksPoolSettings | None = Field(
        default=None, description="With `cloud: eks`: where the EKS managed node group goes."
    )
    gke: GkePoolSettings | None = Field(
        default=None, description="With `cloud: gke`: where the GKE node pool goes."
    )

    @field_validator("sku")
    @classmethod
    def _known_sku(cls, sku: str | SkuSpec) -> str | SkuSpec:
        if isinstance(sku, str):
            lookup_sku(sku)  # raises with the list of known SKUs
        return sku

    @model_validator(mode="after")
    def _check(self) -> NodePoolSpec:
        if self.min_nodes > self.max_nodes:
            raise ValueError(
                f"min_nodes ({self.min_nodes}) must be <= max_nodes ({self.max_nodes})"
            )
        if INSTANCE_TYPE_LABEL in self.labels:
            raise ValueError(
                f"labels: {INSTANCE_TYPE_LABEL} is set from the SKU; declare the SKU instead"
            )
        for key, value in self.labels.items():
            if not re.fullmatch(LABEL_KEY_PATTERN, key) or not re.fullmatch(LABEL_VALUE_PATTERN, value):
                raise ValueError(f"labels: {key!r}: {value!r} is not a valid Kubernetes label")
        if self.accelerator_resource_name and self.sku_spec.accelerator is AcceleratorKind.NONE:
            raise ValueError(
                "accelerator_resource_name is set but the SKU has no accelerator"
            )
        check_cloud_pool(
            CloudPoolFacts(
                name=self.name,
                cloud=self.cloud,
                settings={"aks": self.aks, "eks": self.eks, "gke": self.gke},
                sku=self.sku_spec,
                taint_keys=[taint.key for taint in self.effective_taints],
                taints_declared=self.taints is not None,
            )
        )
        return self

    @property
    def sku_spec(self) -> SkuSpec:
        """The resolved SKU: the catalog entry or the inline declaration."""
        return lookup_sku(self.sku) if isinstance(self.sku, str) else self.sku

    @property
    def accelerator(self) -> AcceleratorKind:
        return self.sku_spec.accelerator

    @property
    def creates_nodes(self) -> bool:
        """True when the pool is created in a cloud (`cloud` is not `none`)."""
        return self.cloud != "none"

    @property
    def cloud_pool_name(self) -> str:
        """The pool's name in its cloud: the cloud block's `pool_name`, else the pool's name."""
        settings = {"aks": self.aks, "eks": self.eks, "gke": self.gke}.get(self.cloud)
        return (settings.pool_name if settings is not None else None) or self.name

    @property
    def eks_ami_type(self) -> str:
        """The AMI type of an EKS node group: the user's, else NVIDIA's for GPU SKUs."""
        if self.eks is not None and self.eks.ami_type is not None:
            return self.eks.ami_type
        return EKS_GPU_AMI_TYPE if self.accelerator is AcceleratorKind.GPU else EKS_STANDARD_AMI_TYPE

    @property
    def device_plugin(self) -> DevicePlugin:
        """Who advertises the accelerator on the pool's nodes: the SKU's plugin, unless the cloud
        that creates the pool already runs one (GKE on GPU nodes; EKS's Bottlerocket NVIDIA
        AMIs). AKS's GPU profile installs the driver only, so its pools keep NVIDIA's plugin."""
        if self.accelerator is AcceleratorKind.GPU:
            if self.cloud == "gke":
                return DevicePlugin.MANAGED
            if self.cloud == "eks" and self.eks_ami_type.startswith("BOTTLEROCKET_"):
                return DevicePlugin.MANAGED
        return self.sku_spec.device_plugin

    @property
    def resource_name(self) -> str:
        """The extended resource one accelerator is requested by ('' for CPU pools)."""
        return self.accelerator_resource_name or self.sku_spec.resource_name

    @property
    def accelerators_per_node(self) -> int:
        return self.sku_spec.accelerators_per_node

    @property
    def node_selector(self) -> dict[str, str]:
        """Labels a pod selects to land on this pool's nodes."""
        return {INSTANCE_TYPE_LABEL: self.sku_spec.name, **self.labels}

    @property
    def effective_taints(self) -> list[Taint]:
        """The pool's taints: the user's list, else the SKU's conventional one."""
        if self.taints is not None:
            return list(self.taints)
        key = self.sku_spec.taint_key
        return [Taint(key=key, value="present")] if key else []
