"""The rules that join a node pool to the cloud that creates it, checked when the spec is validated.

A pool with `cloud: aks|eks|gke` needs that cloud's settings block (and no other), a SKU of that
cloud (catalog SKUs name theirs), and what the cloud's API itself would refuse half-way through
`up`: an AKS pool name AKS does not accept, an EKS GPU pool on an AMI without NVIDIA's driver, an
EKS taint key over 63 characters, FPGAs on GKE, a GKE GPU without GKE's accelerator type. Each
message names the field and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from specification.clouds import AKS_POOL_NAME_PATTERN, CLOUD_TITLES, AksPoolSettings, CloudName, EksPoolSettings
from specification.skus import SKU_CATALOG, AcceleratorKind, SkuSpec

__all__ = ["EKS_GPU_AMI_TYPE", "EKS_STANDARD_AMI_TYPE", "CloudPoolFacts", "check_cloud_pool"]

EKS_GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"  # EKS-optimized Amazon Linux 2023 with NVIDIA's driver
EKS_STANDARD_AMI_TYPE = "AL2023_x86_64_STANDARD"
_EKS_TAINT_KEY_MAX = 63
_REQUIRED = {
    "aks": "resource_group_name, cluster_name",
    "eks": "cluster_name, node_role_arn, subnet_ids",
    "gke": "project, location, cluster",
}


@dataclass(frozen=True)
class CloudPoolFacts:
    """What the rules read of a node pool spec (which imports this module, not the reverse)."""

    name: str
    cloud: CloudName
    settings: Mapping[str, BaseModel | None]  # {"aks": ..., "eks": ..., "gke": ...}
    sku: SkuSpec
    taint_keys: list[str]  # of the pool's effective taints
    taints_declared: bool  # the pool lists its taints (else they come from the SKU)


def check_cloud_pool(pool: CloudPoolFacts) -> None:
    """Raise ValueError, naming the field, if the pool cannot be created in its cloud as declared."""
    for key, block in pool.settings.items():
        if block is not None and key != pool.cloud:
            raise ValueError(
                f"{key}: settings for {key}, but cloud is {pool.cloud!r}; set cloud: {key} or remove them"
            )
    if pool.cloud == "none":
        return
    settings = pool.settings[pool.cloud]
    if settings is None:
        raise ValueError(
            f"{pool.cloud}: cloud is {pool.cloud!r}, so the pool needs its {pool.cloud} settings: "
            f"{{{_REQUIRED[pool.cloud]}}}"
        )
    sku = pool.sku
    if sku.cloud is not None and sku.cloud != pool.cloud:
        same_cloud = [name for name, entry in SKU_CATALOG.items() if entry.cloud == pool.cloud]
        raise ValueError(
            f"sku: {sku.name} is a node type of {CLOUD_TITLES[sku.cloud]}, but cloud is {pool.cloud!r}; "
            f"use a node type of {CLOUD_TITLES[pool.cloud]} ({', '.join(same_cloud)}) or declare "
            "the SKU inline"
        )
    if isinstance(settings, AksPoolSettings):
        _check_aks(pool, settings)
    elif isinstance(settings, EksPoolSettings):
        _check_eks(pool, settings)
    else:
        _check_gke(sku)


def _check_aks(pool: CloudPoolFacts, aks: AksPoolSettings) -> None:
    if aks.pool_name is None and not re.fullmatch(AKS_POOL_NAME_PATTERN, pool.name):
        raise ValueError(
            "aks.pool_name: AKS names a Linux agent pool with 1-12 lowercase letters and digits, "
            f"starting with a letter, and the pool's name {pool.name!r} is not one; set aks.pool_name"
        )


def _check_eks(pool: CloudPoolFacts, eks: EksPoolSettings) -> None:
    sku = pool.sku
    if sku.accelerator is AcceleratorKind.GPU and eks.ami_type is not None and "NVIDIA" not in eks.ami_type:
        raise ValueError(
            f"eks.ami_type: {eks.ami_type} has no NVIDIA driver, but SKU {sku.name} has GPUs; "
            f"use an NVIDIA AMI type (e.g. {EKS_GPU_AMI_TYPE}) or leave ami_type unset"
        )
    for index, key in enumerate(pool.taint_keys):
        if len(key) > _EKS_TAINT_KEY_MAX:
            where = f"taints[{index}].key" if pool.taints_declared else "sku.taint_key"
            raise ValueError(
                f"{where}: EKS allows taint keys of at most {_EKS_TAINT_KEY_MAX} characters; "
                f"{key!r} has {len(key)}"
            )


def _check_gke(sku: SkuSpec) -> None:
    if sku.accelerator is AcceleratorKind.FPGA:
        raise ValueError(f"sku: {sku.name} has FPGAs, and GKE has no FPGA node types")
    if sku.accelerator is AcceleratorKind.GPU and not sku.accelerator_type:
        raise ValueError(
            f"sku.accelerator_type: a GPU pool with cloud 'gke' needs GKE's accelerator type for "
            f"{sku.name} (e.g. nvidia-l4, nvidia-tesla-t4); declare it in the inline SKU"
        )
