"""Derive an endpoint's status (`rollout.endpoint_status`) from what a reader saw; no I/O.

The inputs are plain: the desired routing table (the stack's, or a running shift's target), the
table last written for the routers and its revision, what each router reports on `/routing`, the
desired and current replica count per version, the shift in flight and the last failure (as its
driver records them, `rollout.shift_progress`). The status is decided in this order, first match:

1. a shift in flight: RollingBack while it writes its starting table back, else Updating;
2. the last shift's rollback failed: UpdateRollbackFailed;
3. the endpoint is still being created (the reader says so, or every router answers that it has
   applied no table yet): Creating;
4. a failure seen now (no router runs or answers, a router refused the table, a version with
   traffic has no replica left to come) or a last shift that stopped without rolling back: Failed;
5. routers serving another revision than the one written, a written table that is not the
   desired one, or replicas short of their desired count that are still to come: Updating;
6. InService.

A current weight is known only when every router that serves a table serves the written one
(only that table's shares are known here); a router that does not answer serves nothing.

Retained variant properties (the stack's `retain_all_variant_properties`): desired weights are
the declared ones, so a live table kept instead of them is not at desired, but it is no update
either (`WeightsAtDesired` reason `Retained`); a `Retained` condition lists every retained value
that differs from the declared one, weights and fixed replica counts alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rollout.endpoint_status import (
    Condition,
    ConditionStatus,
    EndpointStatus,
    EndpointStatusValue,
    PendingDeployment,
    RouterState,
    VersionState,
)
from rollout.shift_progress import LastFailure, ShiftProgress
from specification.routing import STEPS_PER_PERCENT, RoutingTable

__all__ = [
    "ReplicaCounts",
    "RouterReport",
    "StatusInputs",
    "WrittenTable",
    "derive_endpoint_status",
]


@dataclass(frozen=True)
class RouterReport:
    """One router as read: `answered` False when `/routing` could not be read (`error` says why);
    else the revision it applied (None: none yet), when, and its agent's `error` (a table it
    refused: it keeps serving `revision`)."""

    name: str
    answered: bool
    revision: int | None = None
    applied_at: str | None = None
    error: str | None = None

    @classmethod
    def from_answer(cls, name: str, answer: Mapping[str, Any]) -> RouterReport:
        """The report of a router whose `/routing` answered `answer` (`{"revision",
        "applied_at", "error"}`); a field of the wrong type reads as absent."""
        revision, applied_at, error = (answer.get(k) for k in ("revision", "applied_at", "error"))
        return cls(
            name,
            True,
            revision if isinstance(revision, int) and not isinstance(revision, bool) else None,
            applied_at if isinstance(applied_at, str) else None,
            None if error is None else str(error),
        )


@dataclass(frozen=True)
class WrittenTable:
    """The table last written for the routers (the routing directory, the routing ConfigMap):
    its revision and `{version: percent}`."""

    revision: int
    traffic: Mapping[str, float]


@dataclass(frozen=True)
class ReplicaCounts:
    """A version's replicas: `desired` (what its Deployment asks for, or a local run started),
    `current` (ready to serve), `exited` (stopped for good: a local replica's process; such a
    replica never comes back). None counts are unknown, `problem` says why."""

    desired: int | None
    current: int | None
    exited: int = 0
    problem: str | None = None
    declared: int | None = None  # a fixed-count version's num_replicas as the stack declares it


@dataclass(frozen=True)
class StatusInputs:
    """Everything the status is derived from; `creating` when the reader knows the endpoint is
    still being created (a local run starting), `created_at` when it was (ISO 8601), `retained`
    the variant properties whose live values an update keeps."""

    endpoint: str
    desired: RoutingTable
    written: WrittenTable | None
    routers: Sequence[RouterReport]
    replicas: Mapping[str, ReplicaCounts] = field(default_factory=dict)
    shift: ShiftProgress | None = None
    last_failure: LastFailure | None = None
    creating: bool = False
    created_at: str | None = None
    retained: tuple[str, ...] = ()  # retained variant properties: DesiredInstanceCount, DesiredWeight


def _steps(traffic: Mapping[str, float]) -> dict[str, int]:
    """Non-zero shares in 0.01% steps, so tables compare exactly."""
    steps = {name: round(percent * STEPS_PER_PERCENT) for name, percent in traffic.items()}
    return {name: count for name, count in steps.items() if count}


def _listed(traffic: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {percent:g}%" for name, percent in sorted(traffic.items()) if percent)


def _desired_traffic(inputs: StatusInputs) -> dict[str, float]:
    """The stack's table, or a running shift's target (its start while it rolls back)."""
    shift = inputs.shift
    if shift is None:
        return inputs.desired.traffic
    return dict(shift.start if shift.phase == "rolling_back" else shift.target)


@dataclass(frozen=True)
class _Routing:
    condition: Condition
    failures: tuple[str, ...]
    converged: bool  # every serving router serves the written revision
    nothing_applied: bool  # routers answer, none has applied a table yet


def _routing_problems(inputs: StatusInputs) -> list[tuple[str, str]]:
    """`(reason, message)` per router that does not serve the written table, worst first."""
    written = inputs.written
    problems: list[tuple[str, str]] = []
    for r in inputs.routers:
        if r.answered and r.error:
            message = f"{r.name} refused the table (it serves revision {r.revision}): {r.error}"
            problems.append(("RouterRefusedTable", message))
    for r in inputs.routers:
        if not r.answered:
            message = f"{r.name} does not answer ({r.error or 'no answer'})"
            problems.append(("RoutersNotAnswering", message))
    for r in inputs.routers:
        if r.answered and not r.error and r.revision is not None and written is not None:
            if r.revision != written.revision:
                message = f"{r.name} serves revision {r.revision}, not {written.revision}"
                problems.append(("RoutersBehind", message))
    for r in inputs.routers:
        if r.answered and not r.error and r.revision is None:
            problems.append(("NoTableApplied", f"{r.name} has applied no table yet"))
    return problems


def _routing(inputs: StatusInputs) -> _Routing:
    routers, written = inputs.routers, inputs.written
    if not routers:
        message = "no router of the endpoint runs"
        condition = Condition("RoutingApplied", "False", "NoRouter", message)
        return _Routing(condition, (message,), converged=False, nothing_applied=False)
    problems = _routing_problems(inputs)
    reasons = [reason for reason, _ in problems]
    failures = [f"router {text}" for reason, text in problems if reason == "RouterRefusedTable"]
    silent = [r for r in routers if not r.answered]
    if len(silent) == len(routers):
        answers = "; ".join(f"{r.name}: {r.error or 'no answer'}" for r in silent)
        failures.insert(0, f"no router answers: {answers}")
    serving = [r for r in routers if r.answered and not r.error and r.revision is not None]
    status: ConditionStatus
    if problems:
        status, reason = "False", problems[0][0]
        message = "; ".join(message for _, message in problems)
    elif written is None:
        status, reason = "Unknown", "TableUnknown"
        message = "the table written for the routers could not be read"
    else:
        status, reason = "True", "Applied"
        message = f"every router ({len(serving)}) serves revision {written.revision}"
    return _Routing(
        Condition("RoutingApplied", status, reason, message),
        tuple(failures),
        converged=written is not None
        and bool(serving)
        and not {"RouterRefusedTable", "RoutersBehind", "NoTableApplied"} & set(reasons),
        nothing_applied=reasons.count("NoTableApplied") == len(routers),
    )


def _weights_condition(
    inputs: StatusInputs, desired: Mapping[str, float]
) -> tuple[Condition, bool]:
    """Whether the written table is the desired one, or settled elsewhere on purpose (retained):
    False only while the table is still to move."""
    written, shift = inputs.written, inputs.shift
    if written is None:
        message = "the table written for the routers could not be read"
        return Condition("WeightsAtDesired", "Unknown", "TableUnknown", message), False
    if _steps(written.traffic) == _steps(desired):
        message = f"the routers' table is the desired one ({_listed(desired)})"
        return Condition("WeightsAtDesired", "True", "AtDesired", message), True
    if shift is not None and shift.phase == "rolling_back":
        why = shift.reason or "the shift failed"
        message = f"writing the starting table ({_listed(desired)}) back: {why}"
        return Condition("WeightsAtDesired", "False", "RollingBack", message), False
    if shift is None and "DesiredWeight" in inputs.retained:
        message = (
            f"the routers keep their live table ({_listed(written.traffic)}) instead of the "
            f"declared one ({_listed(desired)}): weights are retained "
            "(retain_all_variant_properties); add {variant_property_type: DesiredWeight} to "
            "exclude_retained_variant_properties to apply the declared table"
        )
        return Condition("WeightsAtDesired", "False", "Retained", message), True
    if shift is not None:
        message = (
            f"step {shift.step} of {shift.step_count} of a traffic shift: "
            f"{shift.percent_of_change:g}% of the change toward {_listed(desired)} "
            f"(the routers' table: {_listed(written.traffic)})"
        )
        return Condition("WeightsAtDesired", "False", "ShiftInProgress", message), False
    message = (
        f"the routers' table ({_listed(written.traffic)}) is not the desired one "
        f"({_listed(desired)})"
    )
    return Condition("WeightsAtDesired", "False", "NotAtDesired", message), False


@dataclass(frozen=True)
class _Replicas:
    condition: Condition
    failures: tuple[str, ...]
    scaling: bool  # replicas short of their desired count are still to come


_REPLICA_REASONS = ("ReplicasExited", "ReplicaCountsUnknown", "Scaling")  # worst first


def _replicas(
    inputs: StatusInputs, versions: Sequence[str], weights: Mapping[str, float]
) -> _Replicas:
    problems: list[tuple[str, str]] = []
    failures: list[str] = []
    scaling = False
    for name in versions:
        counts = inputs.replicas.get(name)
        if counts is None or counts.desired is None or counts.current is None:
            problem = (counts.problem if counts is not None else None) or "replica counts unknown"
            problems.append(("ReplicaCountsUnknown", f"{name}: {problem}"))
            continue
        desired, current, exited = counts.desired, counts.current, counts.exited
        coming = max(desired - exited - current, 0)
        if exited:
            problems.append(("ReplicasExited", f"{name}: {exited} of {desired} replicas exited"))
        if coming:
            scaling = True
            problems.append(("Scaling", f"{name}: {current} of {desired} replicas ready"))
        if current == 0 and not coming and weights.get(name, 0.0) > 0:
            why = (
                "asks for no replica"
                if desired == 0
                else f"every one of its {desired} replicas exited"
            )
            failures.append(f"version {name} has {weights[name]:g}% of the traffic but {why}")
    status: ConditionStatus
    if problems:
        reason = min((r for r, _ in problems), key=_REPLICA_REASONS.index)
        unknown = reason == "ReplicaCountsUnknown" and len(problems) == len(versions)
        status = "Unknown" if unknown else "False"
        message = "; ".join(message for _, message in problems)
    else:
        status, reason = "True", "AllReady"
        listed = ", ".join(f"{name} {inputs.replicas[name].current}" for name in versions)
        message = f"every version runs its desired replicas ({listed or 'no version'})"
    return _Replicas(Condition("ReplicasReady", status, reason, message), tuple(failures), scaling)


def _retained_condition(
    inputs: StatusInputs, desired: Mapping[str, float], versions: Sequence[str]
) -> Condition | None:
    """What the endpoint retains and every retained value that differs from the declared one;
    None when it retains nothing."""
    if not inputs.retained:
        return None
    differences = []
    written = inputs.written
    if (
        "DesiredWeight" in inputs.retained
        and written is not None
        and _steps(written.traffic) != _steps(desired)
    ):
        differences.append(
            f"weights: live {_listed(written.traffic)}, declared {_listed(desired)}"
        )
    if "DesiredInstanceCount" in inputs.retained:
        for name in versions:
            counts = inputs.replicas.get(name)
            if counts is None or counts.declared is None or counts.desired is None:
                continue
            if counts.declared != counts.desired:
                differences.append(
                    f"replicas of {name}: live {counts.desired}, declared {counts.declared}"
                )
    kept = " and ".join(inputs.retained)
    if not differences:
        message = f"{kept} retained; every live value is the declared one"
        return Condition("Retained", "True", "NoDifference", message)
    message = f"{kept} retained, live values kept instead of declared ones: " + "; ".join(differences)
    return Condition("Retained", "True", "LiveValuesKept", message)


def _current_weights(inputs: StatusInputs, versions: Sequence[str]) -> dict[str, float | None]:
    serving = [r for r in inputs.routers if r.answered and r.revision is not None]
    written = inputs.written
    if written is None or not serving or any(r.revision != written.revision for r in serving):
        return {name: None for name in versions}
    return {name: float(written.traffic.get(name, 0.0)) for name in versions}


def _parsed(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _last_modified(inputs: StatusInputs) -> str | None:
    candidates = [inputs.created_at]
    candidates += [r.applied_at for r in inputs.routers if r.answered]
    if inputs.shift is not None:
        candidates.append(inputs.shift.started_at)
    if inputs.last_failure is not None:
        candidates.append(inputs.last_failure.at)
    known = [(moment, text) for text in candidates if text and (moment := _parsed(text))]
    return max(known)[1] if known else None


_LAST_SHIFT_REASONS = {
    "rolled_back": "RolledBack",
    "rollback_failed": "RollbackFailed",
    "failed": "Stopped",
}


def _decide(
    inputs: StatusInputs, routing: _Routing, replicas: _Replicas, at_desired: bool
) -> tuple[EndpointStatusValue, str | None, str]:
    """The status, the failure reason and why (the Ready condition's message)."""
    shift, failure = inputs.shift, inputs.last_failure
    if shift is not None and shift.phase == "rolling_back":
        reason = shift.reason or "the traffic shift failed"
        return "RollingBack", reason, f"rolling a traffic shift back: {reason}"
    if shift is not None:
        return "Updating", None, f"a traffic shift is at step {shift.step} of {shift.step_count}"
    last_reason = failure.reason if failure is not None else None
    if failure is not None and failure.outcome == "rollback_failed":
        return "UpdateRollbackFailed", last_reason, failure.reason
    if inputs.creating or routing.nothing_applied:
        return "Creating", last_reason, "the router and replicas are starting"
    stopped = [failure.reason] if failure is not None and failure.outcome == "failed" else []
    failures = [*stopped, *routing.failures, *replicas.failures]
    if failures:
        text = "; ".join(failures)
        return "Failed", text, text
    pending = []
    if not routing.converged:
        pending.append(routing.condition.message)
    if not at_desired:
        pending.append("the routers' table is not the desired one")
    if replicas.scaling:
        pending.append(replicas.condition.message)
    if pending:
        return "Updating", last_reason, "; ".join(pending)
    return "InService", last_reason, "the endpoint serves requests"


def _pending(shift: ShiftProgress | None) -> PendingDeployment | None:
    if shift is None:
        return None
    return PendingDeployment(
        step=shift.step,
        step_count=shift.step_count,
        phase=shift.phase,
        started_at=shift.started_at,
        next_step_at=shift.next_step_at,
        percent_of_change=shift.percent_of_change,
        target_weights=dict(shift.target),
    )


def _version(
    inputs: StatusInputs, name: str, desired: Mapping[str, float], current: float | None
) -> VersionState:
    counts = inputs.replicas.get(name)
    return VersionState(
        name=name,
        is_default=name == inputs.desired.default_version,
        desired_weight=float(desired.get(name, 0.0)),
        current_weight=current,
        desired_replicas=None if counts is None else counts.desired,
        current_replicas=None if counts is None else counts.current,
        declared_replicas=None if counts is None else counts.declared,
    )


def derive_endpoint_status(inputs: StatusInputs) -> EndpointStatus:
    """The endpoint's status from `inputs` (see the module docstring for the rules)."""
    desired = _desired_traffic(inputs)
    names = set(desired) | set(inputs.replicas)
    if inputs.written is not None:
        names |= set(inputs.written.traffic)
    versions = sorted(names)
    current = _current_weights(inputs, versions)
    weights = {name: max(desired.get(name, 0.0), current[name] or 0.0) for name in versions}
    routing = _routing(inputs)
    weights_condition, at_desired = _weights_condition(inputs, desired)
    replicas = _replicas(inputs, versions, weights)
    status, failure_reason, why = _decide(inputs, routing, replicas, at_desired)

    ready = Condition("Ready", "True" if status == "InService" else "False", status, why)
    conditions = [ready, routing.condition, weights_condition, replicas.condition]
    retained = _retained_condition(inputs, desired, versions)
    if retained is not None:
        conditions.append(retained)
    failure = inputs.last_failure
    if failure is not None:
        reason = _LAST_SHIFT_REASONS[failure.outcome]
        message = f"at {failure.at}: {failure.reason}"
        conditions.append(Condition("LastShift", "False", reason, message))
    return EndpointStatus(
        endpoint_name=inputs.endpoint,
        endpoint_status=status,
        versions=tuple(_version(inputs, name, desired, current[name]) for name in versions),
        conditions=tuple(conditions),
        routers=tuple(
            RouterState(r.name, r.answered, r.revision, r.applied_at, r.error)
            for r in inputs.routers
        ),
        routing_revision=None if inputs.written is None else inputs.written.revision,
        pending_deployment=_pending(inputs.shift),
        failure_reason=failure_reason,
        creation_time=inputs.created_at,
        last_modified_time=_last_modified(inputs),
    )
