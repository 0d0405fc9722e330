"""Node pool spec: a named group of nodes of one SKU that model versions can be placed on."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from specification.names import LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN, ResourceName
from specification.skus import AcceleratorKind, SkuSpec, lookup_sku

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
        return self

    @property
    def sku_spec(self) -> SkuSpec:
        """The resolved SKU: the catalog entry or the inline declaration."""
        return lookup_sku(self.sku) if isinstance(self.sku, str) else self.sku

    @property
    def accelerator(self) -> AcceleratorKind:
        return self.sku_spec.accelerator

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
