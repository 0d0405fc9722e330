"""Tests for specification.clouds: each cloud's settings block and its naming rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from specification.clouds import AksPoolSettings, EksPoolSettings, GkePoolSettings

AKS: dict[str, Any] = {"resource_group_name": "ml-platform", "cluster_name": "inference"}
EKS: dict[str, Any] = {
    "cluster_name": "inference",
    "node_role_arn": "arn:aws:iam::123456789012:role/inference-nodes",
    "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
}
GKE: dict[str, Any] = {"project": "ml-platform-prod", "location": "us-central1", "cluster": "inference"}


def test_defaults() -> None:
    aks = AksPoolSettings.model_validate(AKS)
    assert (aks.pool_name, aks.gpu_driver) == (None, "Install")
    eks = EksPoolSettings.model_validate(EKS)
    assert (eks.pool_name, eks.ami_type) == (None, None)
    gke = GkePoolSettings.model_validate(GKE)
    assert (gke.pool_name, gke.gpu_driver_version) == (None, "DEFAULT")


@pytest.mark.parametrize("name", ["gpu", "gput4", "a12345678901"])
def test_aks_pool_names_that_aks_accepts(name: str) -> None:
    assert AksPoolSettings.model_validate({**AKS, "pool_name": name}).pool_name == name


@pytest.mark.parametrize("name", ["gpu-t4", "GPU", "1gpu", "a123456789012", ""])
def test_aks_pool_names_that_aks_refuses(name: str) -> None:
    with pytest.raises(ValidationError, match=r"\npool_name\n  String should match pattern"):
        AksPoolSettings.model_validate({**AKS, "pool_name": name})


@pytest.mark.parametrize(
    ("field", "value"),
    [("resource_group_name", "rg."), ("resource_group_name", "a b"), ("cluster_name", "-c"), ("gpu_driver", "install")],
)
def test_aks_settings_rules(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=rf"\n{field}\n"):
        AksPoolSettings.model_validate({**AKS, field: value})


def test_aks_needs_the_cluster() -> None:
    with pytest.raises(ValidationError, match=r"\ncluster_name\n  Field required"):
        AksPoolSettings.model_validate({"resource_group_name": "rg"})


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:iam::123456789012:role/nodes", "arn:aws-us-gov:iam::123456789012:role/path/to/nodes"],
)
def test_eks_node_role_arns(arn: str) -> None:
    assert EksPoolSettings.model_validate({**EKS, "node_role_arn": arn}).node_role_arn == arn


@pytest.mark.parametrize(
    "arn", ["nodes", "arn:aws:iam::12345:role/nodes", "arn:aws:iam::123456789012:user/nodes", "arn:aws:iam::123456789012:role/"]
)
def test_eks_node_role_must_be_a_role_arn(arn: str) -> None:
    with pytest.raises(ValidationError, match=r"\nnode_role_arn\n  String should match pattern"):
        EksPoolSettings.model_validate({**EKS, "node_role_arn": arn})


def test_eks_needs_a_subnet() -> None:
    with pytest.raises(ValidationError, match=r"\nsubnet_ids\n  List should have at least 1 item"):
        EksPoolSettings.model_validate({**EKS, "subnet_ids": []})


@pytest.mark.parametrize("subnet", ["subnet-XYZ", "sg-0a1b2c3d", "subnet-0a1b"])
def test_eks_subnets_are_subnet_ids(subnet: str) -> None:
    with pytest.raises(ValidationError, match=r"\nsubnet_ids\.1\n  String should match pattern"):
        EksPoolSettings.model_validate({**EKS, "subnet_ids": ["subnet-0a1b2c3d", subnet]})


def test_eks_ami_type_pattern() -> None:
    assert EksPoolSettings.model_validate({**EKS, "ami_type": "BOTTLEROCKET_x86_64_NVIDIA"}).ami_type
    with pytest.raises(ValidationError, match=r"\nami_type\n  String should match pattern"):
        EksPoolSettings.model_validate({**EKS, "ami_type": "AL2023 x86_64"})


@pytest.mark.parametrize(("location", "zonal"), [("us-central1", False), ("europe-west4-b", True)])
def test_gke_location_is_a_region_or_a_zone(location: str, zonal: bool) -> None:
    assert GkePoolSettings.model_validate({**GKE, "location": location}).zonal is zonal


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("location", "us central1"),
        ("location", "global"),
        ("project", "ML"),
        ("cluster", "Inference"),
        ("pool_name", "gpu_t4"),
        ("pool_name", "x" * 41),
        ("gpu_driver_version", "INSTALLATION_DISABLED"),
    ],
)
def test_gke_settings_rules(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=rf"\n{field}\n"):
        GkePoolSettings.model_validate({**GKE, field: value})


@pytest.mark.parametrize(("model", "base"), [(AksPoolSettings, AKS), (EksPoolSettings, EKS), (GkePoolSettings, GKE)])
def test_unknown_settings_are_rejected(model: Any, base: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=r"\nregion\n  Extra inputs are not permitted"):
        model.model_validate({**base, "region": "x"})
