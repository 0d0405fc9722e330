"""Which cloud creates a node pool, and the few settings each cloud needs to place one.

`cloud: none` describes nodes someone else created. `aks`, `eks` and `gke` also create the pool in
an existing cluster with the cloud's own Pulumi provider; each has its own settings block
(`aks:`, `eks:`, `gke:`) holding only what that cloud needs to find the cluster, with the cloud's
own naming rules as patterns, so a bad value fails at preview with the field named instead of
half-way through `up`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CloudName",
    "PoolCloud",
    "CLOUD_TITLES",
    "AKS_POOL_NAME_PATTERN",
    "AksPoolSettings",
    "EksPoolSettings",
    "GkePoolSettings",
]

CloudName = Literal["none", "aks", "eks", "gke"]
PoolCloud = Literal["aks", "eks", "gke"]  # a cloud that creates pools (and owns node types)

CLOUD_TITLES: dict[str, str] = {"aks": "AKS (Azure)", "eks": "EKS (AWS)", "gke": "GKE (Google Cloud)"}

# AKS: a Linux agent pool's name is 1-12 lowercase letters and digits, starting with a letter.
AKS_POOL_NAME_PATTERN = r"^[a-z][a-z0-9]{0,11}$"


class AksPoolSettings(BaseModel):
    """Where an AKS agent pool goes (`cloud: aks`): the cluster's resource group and name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resource_group_name: str = Field(
        pattern=r"^[-\w.()]{0,89}[-\w()]$",
        description="Resource group of the AKS cluster.",
    )
    cluster_name: str = Field(
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$",
        description="Name of the AKS cluster (the managed cluster resource).",
    )
    pool_name: str | None = Field(
        default=None,
        pattern=AKS_POOL_NAME_PATTERN,
        description="Name of the agent pool in AKS: 1-12 lowercase letters and digits, starting "
        "with a letter. Unset: the pool's `name`, which must then follow the same rule.",
    )
    gpu_driver: Literal["Install", "None"] = Field(
        default="Install",
        description="GPU pools: `Install` has AKS install the NVIDIA driver (the pool still "
        "deploys NVIDIA's device plugin, which AKS does not); `None` leaves the driver to an "
        "operator such as NVIDIA's GPU operator (then set `install_device_plugin: false`).",
    )


class EksPoolSettings(BaseModel):
    """Where an EKS managed node group goes (`cloud: eks`): cluster, node role and subnets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cluster_name: str = Field(
        pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", description="Name of the EKS cluster."
    )
    node_role_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$",
        description="ARN of the IAM role the nodes run as (with the EKS worker node, CNI and "
        "ECR read policies).",
    )
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=1,
        description="IDs of the subnets the nodes are placed in (`subnet-...`).",
    )
    pool_name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",
        description="Name of the node group in EKS. Unset: the pool's `name`.",
    )
    ami_type: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_]{1,64}$",
        description="EKS AMI type. Unset: `AL2023_x86_64_NVIDIA` for GPU SKUs (NVIDIA driver "
        "included), `AL2023_x86_64_STANDARD` otherwise. A `BOTTLEROCKET_*_NVIDIA` type brings "
        "its own device plugin, so the pool deploys none.",
    )


class GkePoolSettings(BaseModel):
    """Where a GKE node pool goes (`cloud: gke`): project, location and cluster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str = Field(
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", description="Google Cloud project ID of the cluster."
    )
    location: str = Field(
        pattern=r"^[a-z]+-[a-z]+[0-9]+(?:-[a-z])?$",
        description="The cluster's location: a region (`us-central1`) or a zone (`us-central1-a`).",
    )
    cluster: str = Field(
        pattern=r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$", description="Name of the GKE cluster."
    )
    pool_name: str | None = Field(
        default=None,
        pattern=r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$",
        description="Name of the node pool in GKE. Unset: the pool's `name`.",
    )
    gpu_driver_version: Literal["DEFAULT", "LATEST"] = Field(
        default="DEFAULT",
        description="GPU pools: which NVIDIA driver GKE installs (GKE also runs the device "
        "plugin, so the pool deploys none).",
    )

    @property
    def zonal(self) -> bool:
        """True when `location` is a zone (one zone's node count is the pool's)."""
        return self.location.count("-") == 2
