"""Step sizes counted in pods (seed 004's `INSTANCE_COUNT`) as shares of a change, and the green
fleet of a blue/green replacement step by step.

A size of n pods means n pods of the fleet taking the traffic: in a blue/green replacement of a
version of B pods, green starts with the canary's n (or a linear step's k) pods and takes n/B of
the version's traffic, then grows by k pods a step, whole (B pods) before the last step; in a
traffic shift between versions, the fleet is the pods of the versions gaining share. The fleet is
always the *declared* pods (`num_replicas`, else `autoscale_min_replicas`), never a live count, so
the steps a preview shows are the steps the walk takes. A size in percent (`CAPACITY_PERCENT`) is
a share of the change as it is, and a replacement under it, or ALL_AT_ONCE, starts green as large
as blue. Pure: the callers (`local apply`, the review) bring the versions and the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from rollout.steps import PlannedStep, units_moved
from specification.deployment_config import (
    POLICY_PATH,
    BlueGreenUpdatePolicy,
    StepPercent,
    total_wait_problem,
)
from specification.rolling_update import RollingUpdatePolicy
from specification.routing import RoutingTable
from specification.version import VersionSpec

__all__ = [
    "ReplacementStep",
    "declared_fleet",
    "fleet_step_percents",
    "gaining_fleet",
    "green_pods_per_step",
    "replacement_schedule",
    "rolling_schedule",
    "shift_step_percents",
]


def declared_fleet(version: VersionSpec) -> int:
    """The pods `version` is declared with: `num_replicas`, else `autoscale_min_replicas` (what
    `local up` starts, and an autoscaled Deployment's floor). Step sizes in pods are taken from
    this count, not from what runs, so a preview and the walk agree."""
    return version.num_replicas if version.num_replicas is not None else version.autoscale_min_replicas


def gaining_fleet(
    current: RoutingTable, new: RoutingTable, versions: Iterable[VersionSpec] | Mapping[str, int]
) -> int:
    """The declared pods of the versions whose share grows from `current` to `new` (a version
    joining counts), summed: the fleet a traffic shift's INSTANCE_COUNT sizes count in; 0 when
    no version gains. `versions`: the specs, or `{version: declared pods}` (a TrafficSplit has
    no spec). ValueError when a gaining version is not among `versions`."""
    declared = (
        dict(versions)
        if isinstance(versions, Mapping)
        else {version.name: declared_fleet(version) for version in versions}
    )
    fleet = 0
    for name, share in sorted(new.steps.items()):
        if share <= current.steps.get(name, 0):
            continue
        if name not in declared:
            raise ValueError(f"version {name!r} gains share but is not one of the declared versions")
        fleet += declared[name]
    return fleet


def fleet_step_percents(
    policy: BlueGreenUpdatePolicy | None, fleet: int | None
) -> tuple[StepPercent, ...]:
    """The cumulative percent of the change each step reaches under `policy` (None: one step),
    an INSTANCE_COUNT size converted with `fleet`, the pods taking the traffic: CANARY n of B
    `(100 n / B, 100)`, LINEAR k of B `(100 k / B, 200 k / B, ..., 100)`; a CAPACITY_PERCENT
    size as it is (`fleet` ignored, may be None).

    ValueError, naming the field path, the rule and the fleet: a canary above half the fleet
    (the whole fleet included), a linear step outside 10-50% of it, no fleet for a count, or a
    `maximum_execution_timeout_in_seconds` not above the total wait of the steps this fleet
    takes (the spec's rule, which could only count a LINEAR INSTANCE_COUNT at its fewest)."""
    if policy is None:
        return (100,)
    routing = policy.traffic_routing_configuration
    percents = routing.step_percents_for(fleet)
    if routing.counts_instances and fleet is not None:
        problem = total_wait_problem(
            policy.maximum_execution_timeout_in_seconds,
            len(percents),
            routing.wait_interval_in_seconds,
            policy.termination_wait_in_seconds,
            f" for a fleet of {fleet} pod{'s' if fleet != 1 else ''}",
        )
        if problem is not None:
            raise ValueError(f"{POLICY_PATH}.maximum_execution_timeout_in_seconds: {problem}")
    return percents


def shift_step_percents(
    policy: BlueGreenUpdatePolicy | None,
    current: RoutingTable,
    new: RoutingTable,
    versions: Iterable[VersionSpec] | Mapping[str, int],
) -> tuple[StepPercent, ...]:
    """The percents of a traffic shift from `current` to `new` (for `rollout.plan_steps`): an
    INSTANCE_COUNT policy converted with the declared pods of the versions gaining share
    (`gaining_fleet`), a percent policy as it is; `(100,)` when no version gains (nothing to
    split). Raises as `fleet_step_percents`."""
    if policy is None or not policy.traffic_routing_configuration.counts_instances:
        return fleet_step_percents(policy, None)
    fleet = gaining_fleet(current, new, versions)
    return fleet_step_percents(policy, fleet) if fleet else (100,)


@dataclass(frozen=True)
class ReplacementStep:
    """One step of a blue/green replacement: `percent` of the version's traffic on green once
    the step is written, and `green_pods`, the green pods that must be ready before it is."""

    percent: StepPercent
    green_pods: int


def replacement_schedule(policy: BlueGreenUpdatePolicy | None, fleet: int) -> list[ReplacementStep]:
    """The steps replacing a version whose blue runs `fleet` pods under `policy` (None: one step).

    INSTANCE_COUNT: green starts with the canary's n pods (or a linear step's k), taking n/B of
    the version's traffic, grows by k pods a step and is whole (`fleet` pods) before the last:
    CANARY 1 of 4 `[(25, 1), (100, 4)]`, LINEAR 2 of 5 `[(40, 2), (80, 4), (100, 5)]`.
    CAPACITY_PERCENT and ALL_AT_ONCE: `fleet` pods from the start, sized like blue. Raises as
    `fleet_step_percents`, and for a fleet of no pod."""
    if fleet < 1:
        raise ValueError(f"a version replaced blue/green runs at least 1 pod, got a fleet of {fleet}")
    percents = fleet_step_percents(policy, fleet)
    size = policy.traffic_routing_configuration.size if policy is not None else None
    if size is None or size.type != "INSTANCE_COUNT":
        return [ReplacementStep(percent, fleet) for percent in percents]
    last = len(percents)
    return [
        ReplacementStep(percent, fleet if number == last else min(size.value * number, fleet))
        for number, percent in enumerate(percents, start=1)
    ]


def rolling_schedule(policy: RollingUpdatePolicy, fleet: int) -> list[ReplacementStep]:
    """The steps of a guarded rolling update (a `rolling_update_policy` with alarms) of a
    version whose blue runs `fleet` pods: green grows one `maximum_batch_size` batch a step (a
    percent batch rounded up, as Kubernetes rounds `maxSurge`), each batch taking its pods' share
    of the version's traffic: 2 of 5 `[(40, 2), (80, 4), (100, 5)]`."""
    if fleet < 1:
        raise ValueError(f"a version replaced in batches runs at least 1 pod, got a fleet of {fleet}")
    batch = policy.maximum_batch_size.pods(fleet)
    steps = []
    for number in range(1, policy.maximum_batch_size.batches(fleet) + 1):
        pods = min(batch * number, fleet)
        steps.append(ReplacementStep(100 if pods == fleet else Fraction(100 * pods, fleet), pods))
    return steps


def green_pods_per_step(
    schedule: Sequence[ReplacementStep], steps: Sequence[PlannedStep], green: str
) -> tuple[int, ...]:
    """The green pods each of `steps` needs ready before it is written, `steps` being the plan of
    a replacement moving a version's share (from 0) to its green entry `green` with the
    schedule's percents (`plan_steps(..., percents=[s.percent for s in schedule])`).

    The planner drops a step that would not change the table (a share too small to split), so
    a planned step is matched to the first schedule step reaching its share, in the planner's own
    exact rounding; the last planned step needs the whole fleet, whichever it is."""
    if not steps:
        return ()
    change = steps[-1].table.steps.get(green, 0)
    needed = []
    for step in steps[:-1]:
        units = step.table.steps.get(green, 0)
        reached = (s for s in schedule if units_moved(change, s.percent) >= units)
        needed.append(next(reached, schedule[-1]).green_pods)
    return (*needed, schedule[-1].green_pods)
