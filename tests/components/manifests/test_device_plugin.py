"""The device plugin DaemonSet of a node pool."""

from __future__ import annotations

from components.manifests.device_plugin import device_plugin_daemon_set
from specification import SkuSpec
from tests.kubernetes_schema import validate_manifest
from tests.specs import pool


def test_nvidia_plugin_on_gpu_pool_nodes_only() -> None:
    gpu_pool = pool("gpu", "Standard_NC6s_v3", labels={"team": "vision"})
    manifest = device_plugin_daemon_set(gpu_pool)
    assert manifest is not None
    validate_manifest(manifest)
    pod = manifest["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"].startswith("nvcr.io/nvidia/k8s-device-plugin:v")
    assert pod["nodeSelector"] == gpu_pool.node_selector
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    assert pod["volumes"][0]["hostPath"]["path"] == "/var/lib/kubelet/device-plugins"
    assert manifest["metadata"]["namespace"] == "kube-system"


def test_fpga_plugin() -> None:
    manifest = device_plugin_daemon_set(pool("fpga", "f1.2xlarge"))
    assert manifest is not None
    validate_manifest(manifest)
    assert "xilinx" in manifest["spec"]["template"]["spec"]["containers"][0]["image"]


def test_no_plugin_where_the_cloud_manages_it_or_the_user_opts_out_or_no_accelerator() -> None:
    assert device_plugin_daemon_set(pool("gke", "a2-highgpu-1g")) is None
    assert device_plugin_daemon_set(pool("gpu", "g5.xlarge", install_device_plugin=False)) is None
    cpu = SkuSpec(name="Standard_D8s_v5")
    assert device_plugin_daemon_set(pool("cpu", cpu)) is None
