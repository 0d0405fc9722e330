"""What the adapter reads from the cluster, as plain frozen values (no client types leak out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ConfigMapData", "RouterPod", "DeploymentReplicas", "DeploymentRollout", "AppliedObject"]


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


@dataclass(frozen=True)
class DeploymentRollout:
    """Where a Deployment's rollout stands: its replica counts, the spec generation the controller
    has acted on, and whether its `Progressing` condition gave up (`ProgressDeadlineExceeded`:
    the pods did not become available within `spec.progressDeadlineSeconds`)."""

    replicas: DeploymentReplicas
    generation: int  # metadata.generation: moves on with each change of the spec
    observed_generation: int  # status.observedGeneration: the generation the controller has seen
    progress_deadline_exceeded: bool
    progress_message: str  # the Progressing condition's message; "" when there is none

    @property
    def complete(self) -> bool:
        """The rollout is done, by the Deployment controller's own rule (`DeploymentComplete`,
        what `kubectl rollout status` waits for): the controller has seen the current spec, every
        desired replica runs the current template, no old replica is left, and all are available."""
        counts = self.replicas
        return (
            self.observed_generation >= self.generation
            and counts.updated == counts.desired
            and counts.current == counts.updated
            and counts.available == counts.updated
        )


@dataclass(frozen=True)
class AppliedObject:
    """A Deployment or Service as the API server stored it after a create or replace: the
    generation (0 for a Service, which has none) and resourceVersion it got."""

    kind: str
    namespace: str
    name: str
    generation: int
    resource_version: str
    created: bool  # False: an object of that name existed and was replaced
