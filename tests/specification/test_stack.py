"""Tests for specification.stack: the whole stack config (`endpoints`, `nodePools`) validated together."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from specification.stack import StackSpec

IMAGE = "registry.example/model:1"


def _v(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **fields}


def _e(name: str, *versions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, "versions": list(versions) or [_v("v1")], **fields}


GPU_POOL: dict[str, Any] = {"name": "gpu", "sku": "Standard_NC6s_v3", "max_nodes": 2}
FPGA_POOL: dict[str, Any] = {"name": "fpga", "sku": "f1.2xlarge", "max_nodes": 1}


def _stack(config: dict[str, Any]) -> StackSpec:
    return StackSpec.model_validate(config)


def test_empty_stack() -> None:
    stack = _stack({})
    assert stack.endpoints == []
    assert stack.node_pools == []
    assert stack.pools_by_name == {}


def test_accepts_the_nodePools_key() -> None:
    stack = _stack({"nodePools": [GPU_POOL, FPGA_POOL], "endpoints": []})
    assert [p.name for p in stack.node_pools] == ["gpu", "fpga"]
    assert set(stack.pools_by_name) == {"gpu", "fpga"}
    assert stack.pools_by_name["fpga"].sku == "f1.2xlarge"


def test_accepts_the_python_field_name_too() -> None:
    assert [p.name for p in StackSpec(node_pools=[GPU_POOL]).node_pools] == ["gpu"]  # type: ignore[list-item]


def test_full_config_with_gpu_and_fpga_versions() -> None:
    stack = _stack(
        {
            "nodePools": [GPU_POOL, FPGA_POOL],
            "endpoints": [
                _e(
                    "fraud",
                    _v("control", is_control_version_type=True, traffic_percentile=80),
                    _v("gpu-treatment", node_pool="gpu", gpu_cores=1, autoscale_max_replicas=2, traffic_percentile=10),
                    _v("fpga-treatment", node_pool="fpga", num_replicas=1, traffic_percentile=10),
                ),
                _e("churn", namespace="ml"),
            ],
        }
    )
    fraud, churn = stack.endpoints
    assert fraud.control_version == "control"
    assert fraud.effective_traffic() == {"control": 80.0, "gpu-treatment": 10.0, "fpga-treatment": 10.0}
    assert churn.effective_namespace == "ml"


def test_duplicate_endpoint_names_are_rejected() -> None:
    with pytest.raises(ValidationError, match="endpoints: endpoint name 'a' is used more than once"):
        _stack({"endpoints": [_e("a", namespace="n1"), _e("a", namespace="n2", create_namespace=False)]})


def test_duplicate_pool_names_are_rejected() -> None:
    with pytest.raises(ValidationError, match="nodePools: pool name 'gpu' is used more than once"):
        _stack({"nodePools": [GPU_POOL, {**FPGA_POOL, "name": "gpu"}]})


def test_two_endpoints_creating_the_same_namespace_are_rejected() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "endpoints: namespace 'shared' would be created twice; set create_namespace: false on all but "
            "one endpoint sharing it"
        ),
    ):
        _stack({"endpoints": [_e("a", namespace="shared"), _e("b", namespace="shared")]})


def test_namespace_defaulting_to_another_endpoint_name_collides() -> None:
    with pytest.raises(ValidationError, match="namespace 'a' would be created twice"):
        _stack({"endpoints": [_e("a"), _e("b", namespace="a")]})


def test_shared_namespace_created_once_is_accepted() -> None:
    stack = _stack(
        {"endpoints": [_e("a", namespace="shared"), _e("b", namespace="shared", create_namespace=False)]}
    )
    assert [e.effective_namespace for e in stack.endpoints] == ["shared", "shared"]


def test_placement_errors_carry_the_full_path() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "endpoints[0].versions[1].gpu_cores: 1 GPUs requested but pool 'fpga' (SKU f1.2xlarge) has no GPUs"
        ),
    ):
        _stack(
            {
                "nodePools": [FPGA_POOL],
                "endpoints": [_e("a", _v("v1"), _v("v2", node_pool="fpga", gpu_cores=1))],
            }
        )


def test_placement_checked_for_every_endpoint() -> None:
    with pytest.raises(ValidationError) as info:
        _stack(
            {
                "nodePools": [GPU_POOL],
                "endpoints": [
                    _e("a", _v("v1", gpu_cores=1)),
                    _e("b", _v("v1"), _v("v2", node_pool="gpu", gpu_cores=1, autoscale_max_replicas=3)),
                    _e("c", _v("v1", node_pool="nope")),
                ],
            }
        )
    message = str(info.value)
    assert "endpoints[0].versions[0].gpu_cores: 1 GPUs need node_pool naming a pool whose SKU has GPUs" in message
    assert "endpoints[1].versions[1].autoscale_max_replicas: 3 replicas x 1 nvidia.com/gpu = 3 accelerators" in message
    assert "pool 'gpu' has 2 nodes x 1 = 2 and fits at most 2 such replicas" in message
    assert "endpoints[2].versions[0].node_pool: no node pool named 'nope' (pools: gpu)" in message


def test_all_stack_errors_are_reported_together() -> None:
    with pytest.raises(ValidationError) as info:
        _stack(
            {
                "nodePools": [GPU_POOL, GPU_POOL],
                "endpoints": [_e("a"), _e("a", _v("v1", gpu_cores=1))],
            }
        )
    message = str(info.value)
    assert "endpoint name 'a' is used more than once" in message
    assert "pool name 'gpu' is used more than once" in message
    assert "namespace 'a' would be created twice" in message
    assert "endpoints[1].versions[0].gpu_cores" in message


def test_field_errors_carry_their_location() -> None:
    with pytest.raises(ValidationError, match=r"\nendpoints\.0\.versions\.1\.gpu_cores\n  Input should be greater than or equal to 0") as info:
        _stack({"endpoints": [_e("a", _v("v1"), _v("v2", gpu_cores=-1))]})
    assert info.value.errors()[0]["loc"] == ("endpoints", 0, "versions", 1, "gpu_cores")


def test_nested_model_errors_carry_their_location() -> None:
    with pytest.raises(ValidationError, match=r"\nendpoints\.1\n  Value error, versions: exactly one version may set is_default"):
        _stack({"endpoints": [_e("a"), _e("b", _v("v1", is_default=True), _v("v2", is_default=True))]})


def test_pool_errors_carry_their_location() -> None:
    with pytest.raises(ValidationError, match=r"\nnodePools\.0\.sku\n  Value error, unknown SKU 'Standard_NC6'"):
        _stack({"nodePools": [{"name": "gpu", "sku": "Standard_NC6"}]})


@pytest.mark.parametrize("key", ["nodepools", "node-pools", "endpoint", "pools"])
def test_unknown_top_level_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValidationError, match=rf"\n{key}\n  Extra inputs are not permitted"):
        _stack({key: []})


def test_object_names_must_not_collide_in_a_shared_namespace() -> None:
    endpoints = [
        {"name": "a-b", "namespace": "shared", "versions": [{"name": "c", "image": "i"}]},
        {"name": "a", "namespace": "shared", "create_namespace": False,
         "versions": [{"name": "b-c", "image": "i"}]},
    ]
    with pytest.raises(ValidationError, match="would both create 'a-b-c' in namespace 'shared'"):
        StackSpec.model_validate({"endpoints": endpoints})
    endpoints[1]["namespace"] = "other"
    StackSpec.model_validate({"endpoints": endpoints})
