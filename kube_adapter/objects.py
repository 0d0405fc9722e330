"""What the adapter reads from the cluster, as plain frozen values (no client types leak out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ConfigMapData", "RouterPod", "DeploymentReplicas"]


@dataclass(frozen=True)
class ConfigMapData:
    """A ConfigMap's `data` and the `resourceVersion` it was read at (the write's precondition),
    with its annotations."""

    namespace: str
    name: str
    data: Mapping[str, str]
    resource_version: str
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RouterPod:
    """One router pod: its phase (`Pending`, `Running`, ...), whether it is Ready, and whether it
    is being deleted (a terminating pod may stop answering at any moment)."""

    name: str
    phase: str
    ready: bool
    terminating: bool
    pod_ip: str | None


@dataclass(frozen=True)
class DeploymentReplicas:
    """A Deployment's desired replica count (`spec.replicas`, which an autoscaler sets) beside
    what runs: created, ready, on the current template, available."""

    name: str
    desired: int
    current: int
    ready: int
    updated: int
    available: int
