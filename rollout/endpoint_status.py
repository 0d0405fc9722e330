"""An endpoint's status the way the ACK SageMaker `Endpoint` reports it (seed 003): the endpoint
status, per version the desired and current weight and replica count, the pending deployment
while a traffic shift runs, conditions, the failure reason and the last modified time.

Plain frozen values with a JSON form in snake_case; `rollout.status_derivation` computes them
from what a reader saw (a local run or a deployed stack), `model-endpoints describe` prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CONDITION_TYPES",
    "ENDPOINT_STATUS_MEANINGS",
    "Condition",
    "ConditionStatus",
    "EndpointStatus",
    "EndpointStatusValue",
    "PendingDeployment",
    "RouterState",
    "VersionState",
]

EndpointStatusValue = Literal[
    "Creating", "Updating", "InService", "RollingBack", "Failed", "UpdateRollbackFailed"
]

# The seed's values, with what each means here (SageMaker's OutOfService, SystemUpdating and
# Deleting have no counterpart: nothing takes an endpoint out of service for maintenance, and a
# deleted stack has nothing to describe).
ENDPOINT_STATUS_MEANINGS: Mapping[EndpointStatusValue, str] = {
    "Creating": "the endpoint is being created: its router and replicas are starting and no "
    "router serves a table yet (the seed: CreateEndpoint is executing)",
    "Updating": "a traffic shift walks its steps, routers are catching up with a new table, or a "
    "version's replicas are scaling toward their desired count (the seed: UpdateEndpoint or "
    "UpdateEndpointWeightsAndCapacities is executing)",
    "InService": "the endpoint serves requests: every answering router serves the desired table "
    "and every version runs its desired replicas (some may be missing: see the conditions)",
    "RollingBack": "a traffic shift failed (an alarm breached, a timeout) and the table it "
    "started from is being written back; once every router reports it the endpoint is "
    "InService again, with the shift's failure as failure_reason",
    "Failed": "the endpoint could not be created, updated or re-scaled: no router answers, a "
    "router refused the table, every replica of a version with traffic exited, or a shift "
    "stopped without rolling back; failure_reason says which",
    "UpdateRollbackFailed": "a traffic shift failed and putting its starting table back could "
    "not be confirmed: the endpoint is in service, but its routers may serve a mix of the old "
    "and new tables; the next change writes a complete table to every router",
}

ConditionStatus = Literal["True", "False", "Unknown"]

# Conditions in the order they are reported: `Ready` sums up (True only when InService), the
# others say why. `LastShift` appears only after a shift failed.
# `Retained` appears only for an endpoint that retains variant properties.
CONDITION_TYPES = (
    "Ready",
    "RoutingApplied",
    "WeightsAtDesired",
    "ReplicasReady",
    "Retained",
    "LastShift",
)


@dataclass(frozen=True)
class Condition:
    """A Kubernetes-style condition: `type`, `status` (True, False, Unknown), a CamelCase
    `reason` and a human-readable `message`."""

    type: str
    status: ConditionStatus
    reason: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class VersionState:
    """One version (the seed's production variant). Weights are percent of the endpoint's
    traffic: `desired_weight` is what the stack declares (or a running shift's target),
    `current_weight` what the routers serve (None when unknown). Replica counts: desired is what
    the Deployment asks for (an autoscaler's choice, or a retained live count, included) or a
    local run started, current the replicas ready to serve; None when they could not be read.
    `declared_replicas`: a fixed-count version's `num_replicas` as the stack declares it (None
    when autoscaled or not known), which differs from desired while the count is retained."""

    name: str
    is_default: bool
    desired_weight: float
    current_weight: float | None
    desired_replicas: int | None
    current_replicas: int | None
    declared_replicas: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "is_default": self.is_default,
            "desired_weight": self.desired_weight,
            "current_weight": self.current_weight,
            "desired_replicas": self.desired_replicas,
            "current_replicas": self.current_replicas,
            "declared_replicas": self.declared_replicas,
        }


@dataclass(frozen=True)
class PendingDeployment:
    """A traffic shift in flight (the seed's pendingDeploymentSummary): step `step` of
    `step_count` (0: no step written yet), what it is doing (`phase`), when it started, when the
    next step is due (for the last step: when the shift completes; None while routers catch up
    or while rolling back), how much of the change the current step makes, and the target."""

    step: int
    step_count: int
    phase: str
    started_at: str
    next_step_at: str | None
    percent_of_change: float
    target_weights: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "step_count": self.step_count,
            "phase": self.phase,
            "started_at": self.started_at,
            "next_step_at": self.next_step_at,
            "percent_of_change": self.percent_of_change,
            "target_weights": dict(self.target_weights),
        }


@dataclass(frozen=True)
class RouterState:
    """What one router reports on `/routing`: the revision it applied and when, or why it did not
    answer (`answered` False), or the table its agent refused (`error` with `answered` True)."""

    name: str
    answered: bool
    revision: int | None
    applied_at: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "answered": self.answered,
            "revision": self.revision,
            "applied_at": self.applied_at,
            "error": self.error,
        }


@dataclass(frozen=True)
class EndpointStatus:
    """The status of one endpoint; see `ENDPOINT_STATUS_MEANINGS` for `endpoint_status`.

    `routing_revision` is the revision of the table last written for the routers (None when it
    could not be read); `failure_reason` says why the endpoint is Failed or UpdateRollbackFailed,
    or why its last shift was rolled back (it is InService again then); `last_modified_time` is
    the latest change seen (a table applied, a shift started or failed, the run started)."""

    endpoint_name: str
    endpoint_status: EndpointStatusValue
    versions: tuple[VersionState, ...]
    conditions: tuple[Condition, ...]
    routers: tuple[RouterState, ...]
    routing_revision: int | None = None
    pending_deployment: PendingDeployment | None = None
    failure_reason: str | None = None
    creation_time: str | None = None
    last_modified_time: str | None = None

    def condition(self, type_: str) -> Condition | None:
        """The condition of type `type_`, if reported."""
        return next((c for c in self.conditions if c.type == type_), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint_name": self.endpoint_name,
            "endpoint_status": self.endpoint_status,
            "failure_reason": self.failure_reason,
            "creation_time": self.creation_time,
            "last_modified_time": self.last_modified_time,
            "routing_revision": self.routing_revision,
            "versions": {version.name: version.to_json() for version in self.versions},
            "pending_deployment": (
                None if self.pending_deployment is None else self.pending_deployment.to_json()
            ),
            "conditions": [condition.to_json() for condition in self.conditions],
            "routers": [router.to_json() for router in self.routers],
        }
