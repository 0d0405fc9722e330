"""Tests for specification.placement: pools exist, accelerators match the SKU, and replicas fit the pool."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.placement import (
    AcceleratorRequest,
    accelerator_request,
    check_placement,
    placement_errors,
)
from specification.skus import SKU_CATALOG
from specification.version import VersionSpec

IMAGE = "registry.example/model:1"
U250 = SKU_CATALOG["Standard_NP10s"].resource_name


def _pool(name: str, sku: Any, **fields: Any) -> NodePoolSpec:
    return NodePoolSpec.model_validate({"name": name, "sku": sku, **fields})


def _version(**fields: Any) -> VersionSpec:
    return VersionSpec.model_validate({"name": "v1", "image": IMAGE, **fields})


def _endpoint(*versions: dict[str, Any]) -> EndpointSpec:
    return EndpointSpec.model_validate({"name": "e", "versions": list(versions)})


def _v(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **fields}


POOLS: dict[str, NodePoolSpec] = {
    "gpu": _pool("gpu", "Standard_NC6s_v3", max_nodes=2),  # 1 V100 per node
    "gpu4": _pool("gpu4", "Standard_NC24s_v3", max_nodes=3),  # 4 V100 per node
    "fpga": _pool("fpga", "Standard_NP10s", max_nodes=2),  # 1 U250 per node
    "cpu": _pool("cpu", {"name": "Standard_D4s_v3"}, max_nodes=5),
}


def _errors(**fields: Any) -> list[str]:
    return placement_errors(_endpoint(_v("v1", **fields)), POOLS)


# --- accelerator_request


def test_gpu_request() -> None:
    assert accelerator_request(_version(gpu_cores=2), POOLS["gpu4"]) == AcceleratorRequest("nvidia.com/gpu", 2)


def test_fpga_pool_gets_one_fpga_per_replica() -> None:
    request = accelerator_request(_version(), POOLS["fpga"])
    assert request == AcceleratorRequest(resource=U250, count=1)
    assert request.resource.startswith("xilinx.com/fpga-xilinx_u250")


def test_fpga_request_uses_the_pool_override() -> None:
    pool = _pool("f", "f1.2xlarge", accelerator_resource_name="xilinx.com/fpga-custom_shell-1")
    assert accelerator_request(_version(), pool) == AcceleratorRequest("xilinx.com/fpga-custom_shell-1", 1)


@pytest.mark.parametrize("pool", [None, "cpu", "gpu"])
def test_no_request(pool: str | None) -> None:
    # No pool, a CPU pool, or a GPU pool with gpu_cores 0: no extended resource.
    assert accelerator_request(_version(), POOLS[pool] if pool else None) is None


# --- pool and accelerator matching


def test_valid_placements_have_no_errors() -> None:
    endpoint = _endpoint(
        _v("cpu-default"),
        _v("on-cpu", node_pool="cpu"),
        _v("on-gpu", node_pool="gpu", gpu_cores=1, autoscale_max_replicas=2),
        _v("on-fpga", node_pool="fpga", num_replicas=2),
        _v("gpu-pool-no-gpu", node_pool="gpu"),
    )
    assert placement_errors(endpoint, POOLS) == []
    check_placement(endpoint, POOLS)


def test_gpu_cores_without_a_pool() -> None:
    assert _errors(gpu_cores=1) == [
        "versions[0].gpu_cores: 1 GPUs need node_pool naming a pool whose SKU has GPUs"
    ]


def test_gpu_cores_on_an_fpga_pool() -> None:
    assert _errors(gpu_cores=1, node_pool="fpga") == [
        "versions[0].gpu_cores: 1 GPUs requested but pool 'fpga' (SKU Standard_NP10s) has no GPUs (fpga)"
    ]


def test_gpu_cores_on_a_cpu_pool() -> None:
    assert _errors(gpu_cores=2, node_pool="cpu") == [
        "versions[0].gpu_cores: 2 GPUs requested but pool 'cpu' (SKU Standard_D4s_v3) has no GPUs (none)"
    ]


def test_unknown_pool_lists_the_pools() -> None:
    assert _errors(node_pool="gpus") == [
        "versions[0].node_pool: no node pool named 'gpus' (pools: cpu, fpga, gpu, gpu4)"
    ]


def test_unknown_pool_with_no_pools_declared() -> None:
    errors = placement_errors(_endpoint(_v("v1", node_pool="gpu")), {})
    assert errors == ["versions[0].node_pool: no node pool named 'gpu' (pools: none declared)"]


def test_injection_in_node_pool_reference_is_rejected_by_the_name_rule() -> None:
    with pytest.raises(ValidationError, match=r"node_pool\n.*not a valid name"):
        _errors(node_pool="gpu\n#")


def test_gpu_cores_above_per_node_count() -> None:
    assert _errors(gpu_cores=2, node_pool="gpu", num_replicas=1) == [
        "versions[0].gpu_cores: one replica needs 2 accelerators but a Standard_NC6s_v3 node has 1; "
        "a pod cannot span nodes"
    ]
    assert _errors(gpu_cores=5, node_pool="gpu4", num_replicas=1)[0].startswith(
        "versions[0].gpu_cores: one replica needs 5 accelerators but a Standard_NC24s_v3 node has 4"
    )


# --- capacity


def test_capacity_exceeded_gives_both_numbers() -> None:
    # 3 replicas x 1 GPU on a pool of 2 nodes x 1 GPU.
    assert _errors(gpu_cores=1, node_pool="gpu", autoscale_max_replicas=3) == [
        "versions[0].autoscale_max_replicas: 3 replicas x 1 nvidia.com/gpu = 3 accelerators, but pool "
        "'gpu' has 2 nodes x 1 = 2 and fits at most 2 such replicas; lower autoscale_max_replicas or "
        "raise the pool's max_nodes"
    ]


def test_default_max_replicas_counts_against_capacity() -> None:
    # The seed's default autoscale_max_replicas (10) does not fit 2 single-GPU nodes.
    errors = _errors(gpu_cores=1, node_pool="gpu")
    assert len(errors) == 1
    assert "autoscale_max_replicas: 10 replicas x 1 nvidia.com/gpu = 10 accelerators" in errors[0]
    assert "fits at most 2 such replicas" in errors[0]


def test_capacity_names_num_replicas_for_fixed_versions() -> None:
    errors = _errors(node_pool="fpga", num_replicas=3)
    assert errors == [
        f"versions[0].num_replicas: 3 replicas x 1 {U250} = 3 accelerators, but pool 'fpga' has 2 nodes "
        "x 1 = 2 and fits at most 2 such replicas; lower num_replicas or raise the pool's max_nodes"
    ]


def test_exact_fit_passes() -> None:
    assert _errors(gpu_cores=1, node_pool="gpu", autoscale_max_replicas=2) == []
    assert _errors(gpu_cores=4, node_pool="gpu4", num_replicas=3) == []
    assert _errors(gpu_cores=2, node_pool="gpu4", autoscale_max_replicas=6) == []
    assert _errors(node_pool="fpga", num_replicas=2) == []


def test_capacity_counts_whole_replicas_per_node() -> None:
    # 3 GPUs per replica on 4-GPU nodes: one replica per node, so 3 nodes fit 3 (not 4) replicas,
    # although 4 x 3 = 12 GPUs equals the pool's 12.
    assert _errors(gpu_cores=3, node_pool="gpu4", num_replicas=3) == []
    errors = _errors(gpu_cores=3, node_pool="gpu4", num_replicas=4)
    assert errors == [
        "versions[0].num_replicas: 4 replicas x 3 nvidia.com/gpu = 12 accelerators, but pool 'gpu4' has "
        "3 nodes x 4 = 12 and fits at most 3 such replicas; lower num_replicas or raise the pool's max_nodes"
    ]


def test_cpu_pools_have_no_accelerator_capacity_check() -> None:
    assert _errors(node_pool="cpu", autoscale_max_replicas=100) == []


# --- reporting


def test_every_version_is_checked_and_paths_are_indexed() -> None:
    endpoint = _endpoint(
        _v("ok"),
        _v("bad-gpu", gpu_cores=1, node_pool="fpga"),
        _v("bad-pool", node_pool="missing"),
    )
    errors = placement_errors(endpoint, POOLS, "endpoints[3]")
    assert [e.split(":")[0] for e in errors] == [
        "endpoints[3].versions[1].gpu_cores",
        "endpoints[3].versions[2].node_pool",
    ]


def test_check_placement_raises_with_all_errors() -> None:
    endpoint = _endpoint(_v("a", gpu_cores=1), _v("b", node_pool="missing"))
    with pytest.raises(
        ValueError,
        match=re.escape("versions[0].gpu_cores: 1 GPUs need node_pool")
        + ".*; "
        + re.escape("versions[1].node_pool: no node pool named 'missing'"),
    ):
        check_placement(endpoint, POOLS)
