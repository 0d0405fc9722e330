"""The device plugin DaemonSet that advertises a node pool's accelerators to the kubelet.

Without it a GPU or FPGA node reports no `nvidia.com/gpu` (or FPGA) capacity and versions that
request one stay Pending. Where the cloud runs its own (`managed`: GKE's GPU nodes, EKS's
Bottlerocket NVIDIA AMIs, see `NodePoolSpec.device_plugin`) nothing is deployed.
"""

from __future__ import annotations

from typing import Any

from specification.node_pool import NodePoolSpec
from specification.skus import (
    NVIDIA_DEVICE_PLUGIN_IMAGE,
    XILINX_FPGA_PLUGIN_IMAGE,
    DevicePlugin,
)

__all__ = ["device_plugin_daemon_set", "DEVICE_PLUGIN_IMAGES"]

DEVICE_PLUGIN_IMAGES: dict[DevicePlugin, str] = {
    DevicePlugin.NVIDIA: NVIDIA_DEVICE_PLUGIN_IMAGE,
    DevicePlugin.XILINX: XILINX_FPGA_PLUGIN_IMAGE,
}
_KUBELET_PLUGINS = "/var/lib/kubelet/device-plugins"


def device_plugin_daemon_set(pool: NodePoolSpec) -> dict[str, Any] | None:
    """The pool's device plugin DaemonSet, or None when the pool needs none."""
    plugin = pool.device_plugin
    if not pool.install_device_plugin or plugin not in DEVICE_PLUGIN_IMAGES:
        return None
    selector = {"model-endpoints.io/device-plugin": pool.name}
    tolerations: list[dict[str, Any]] = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    tolerations += [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in pool.effective_taints]
    security: dict[str, Any]
    if plugin is DevicePlugin.NVIDIA:
        security = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
        env = [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}]
    else:
        # Xilinx's plugin opens the cards' management devices on the host.
        security = {"privileged": True}
        env = []
    container: dict[str, Any] = {
        "name": f"{plugin.value}-device-plugin",
        "image": DEVICE_PLUGIN_IMAGES[plugin],
        "securityContext": security,
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        "volumeMounts": [{"name": "device-plugin", "mountPath": _KUBELET_PLUGINS}],
    }
    if env:
        container["env"] = env
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": f"{pool.name}-device-plugin",
            "namespace": pool.device_plugin_namespace,
            "labels": {
                "app.kubernetes.io/part-of": "model-endpoints",
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/component": "device-plugin",
                **selector,
            },
        },
        "spec": {
            "selector": {"matchLabels": selector},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": selector},
                "spec": {
                    "nodeSelector": pool.node_selector,
                    "tolerations": tolerations,
                    "priorityClassName": "system-node-critical",
                    "containers": [container],
                    "volumes": [{"name": "device-plugin", "hostPath": {"path": _KUBELET_PLUGINS}}],
                },
            },
        },
    }
