"""The GKE node pool a `cloud: gke` NodePool registers, with the real pulumi-gcp SDK."""

from __future__ import annotations

from components.cloud_pools.gke import NODE_POOL_TYPE
from tests.components.cloud_pools.registered import cloud_resource, register
from tests.specs import cloud_pool

T4_ON_N1 = {
    "name": "n1-standard-8",
    "accelerator": "gpu",
    "accelerators_per_node": 2,
    "accelerator_model": "NVIDIA T4",
    "accelerator_type": "nvidia-tesla-t4",
    "resource_name": "nvidia.com/gpu",
    "taint_key": "nvidia.com/gpu",
}


def test_gpu_pool_has_guest_accelerators_with_the_managed_driver_and_total_autoscaling() -> None:
    spec = cloud_pool("gke", "gpu-a100", "a2-highgpu-2g", min_nodes=1, max_nodes=3, labels={"workload": "inference"})
    resource, inputs = cloud_resource(register(spec), NODE_POOL_TYPE)
    assert resource.name == "gpu-a100-node-pool"
    assert inputs == {
        "project": "ml-platform-prod",
        "location": "us-central1-a",
        "cluster": "inference",
        "name": "gpu-a100",
        "initialNodeCount": 1,  # a zonal cluster: its one zone's count is the pool's
        "autoscaling": {"totalMinNodeCount": 1, "totalMaxNodeCount": 3},
        "nodeConfig": {
            "machineType": "a2-highgpu-2g",
            "labels": {"workload": "inference"},
            "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
            "guestAccelerators": [
                {"type": "nvidia-tesla-a100", "count": 2, "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}
            ],
        },
    }
    assert resource.ignore_changes == ("initialNodeCount",)  # create-only, then the autoscaler's


def test_regional_pool_starts_empty_for_the_autoscaler() -> None:
    spec = cloud_pool("gke", "gpu", T4_ON_N1, min_nodes=2, max_nodes=6, settings={"location": "us-central1", "gpu_driver_version": "LATEST"})
    _, inputs = cloud_resource(register(spec), NODE_POOL_TYPE)
    assert "initialNodeCount" not in inputs  # GKE would count it in every zone
    assert inputs["autoscaling"] == {"totalMinNodeCount": 2, "totalMaxNodeCount": 6}
    assert inputs["nodeConfig"]["machineType"] == "n1-standard-8"
    assert inputs["nodeConfig"]["guestAccelerators"] == [
        {"type": "nvidia-tesla-t4", "count": 2, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}
    ]


def test_cpu_pool_has_no_accelerators() -> None:
    spec = cloud_pool("gke", "cpu", {"name": "n2-standard-8"}, settings={"pool_name": "cpu-n2"})
    _, inputs = cloud_resource(register(spec), NODE_POOL_TYPE)
    assert inputs["name"] == "cpu-n2"
    assert inputs["nodeConfig"] == {"machineType": "n2-standard-8", "labels": {}, "taints": []}
