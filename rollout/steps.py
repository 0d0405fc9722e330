"""The planned steps of a traffic shift: the tables a routing change walks through, as its policy says.

A guarded shift (seed 004's CANARY and LINEAR) does not jump from the live table to the new one:
each step moves every version from its old share toward its new share by a cumulative fraction of
the change (CANARY 10: 10%, then 100%; LINEAR 25: 25%, 50%, 75%, 100%), then bakes. The plan is
pure data, known at preview, so a pull request shows it and the step engine only executes it.

Shares are whole 0.01% steps and every planned table sums to exactly 100%: the change is a number
of 0.01% units taken from the versions losing share and given to those gaining it, and step k
moves the first `round(change x fraction_k)` of them, rounded half up in exact rational
arithmetic: a fraction need not be whole (an INSTANCE_COUNT canary of 1 pod in 3 is 100/3%,
`rollout.capacity`), and the same tables always give the same plan. Each version's units are
spread evenly over the change (unit j of a version moving d units sits at (j - 1/2) / d,
Webster's rule), so any prefix gives each version about its proportional part, and a later step
never gives a version back what an earlier one moved: every version moves monotonically from its
old share to its new.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from specification.deployment_config import (
    BlueGreenUpdatePolicy,
    StepPercent,
    TrafficRoutingConfiguration,
    total_wait_seconds,
)
from specification.routing import STEPS_PER_PERCENT, RoutingTable

__all__ = [
    "PlannedStep",
    "moved_percent",
    "plan_steps",
    "planned_traffic",
    "planned_wait_seconds",
    "units_moved",
]


@dataclass(frozen=True)
class PlannedStep:
    """One step of a shift as a preview shows it: the table routers serve from this step on, the
    bake after it (alarms evaluated) and how much of the change it has made in total."""

    table: RoutingTable
    wait_seconds: int
    percent_of_change: float

    @property
    def traffic(self) -> dict[str, float]:
        """`{version: percent}` summing to 100."""
        return self.table.traffic


def _unit_order(moves: Mapping[str, int]) -> list[str]:
    """The versions' 0.01% units of the change in the order a shift moves them.

    Unit j (1-based) of a version moving d units sits at (j - 1/2) / d of the change; ties go by
    version name. The positions are compared as integers over a common denominator, so the order
    is exact."""
    if not moves:
        return []
    denominator = math.lcm(*(2 * units for units in moves.values()))
    positions = sorted(
        ((2 * j - 1) * (denominator // (2 * units)), name)
        for name, units in moves.items()
        for j in range(1, units + 1)
    )
    return [name for _, name in positions]


def units_moved(change: int, percent: StepPercent) -> int:
    """`percent` of `change` 0.01% units, rounded half up, exactly (`percent` may be a fraction):
    how far a step reaching `percent` of a change of `change` units has moved it."""
    return math.floor((2 * change * Fraction(percent) + 100) / 200)


def _checked(percents: Sequence[StepPercent]) -> tuple[StepPercent, ...]:
    """`percents` if they rise strictly, above 0, to exactly 100; ValueError otherwise."""
    found = tuple(percents)
    rising = all(a < b for a, b in zip(found, found[1:]))
    if not found or found[-1] != 100 or found[0] <= 0 or not rising:
        raise ValueError(
            f"step percents must rise strictly from above 0 to exactly 100, got {list(found)}"
        )
    return found


def _nonzero(table: RoutingTable) -> dict[str, int]:
    return {name: step for name, step in table.steps.items() if step}


def plan_steps(
    current: RoutingTable,
    new: RoutingTable,
    routing: TrafficRoutingConfiguration | None,
    *,
    percents: Sequence[StepPercent] | None = None,
) -> list[PlannedStep]:
    """The steps from `current` to `new` under `routing` (None: one step, no bake).

    Step k moves each version from its share in `current` toward its share in `new` by the k-th
    cumulative percent of `percents`: given, the caller's (an INSTANCE_COUNT policy converted
    with its fleet, `rollout.capacity`); else `routing.step_percents_for(None)`, which a policy
    sized in pods cannot answer (ValueError naming the field), asked only when there is traffic
    to move. Each step bakes `routing.wait_interval_in_seconds`. A version only in `new` enters
    at 0; a version only in `current` is planned toward 0 and leaves at the last step (a
    TrafficSplit removes only a version already at 0). Intermediate tables keep `current`'s
    default and control; the last step is exactly `new`. A step that would not change the
    previous table is dropped (a change of 0.01% cannot be split further), and when the last
    intermediate step already carries the whole change, `new` replaces it; no change at all
    plans no step.
    """
    wait = routing.wait_interval_in_seconds if routing is not None else 0
    versions = sorted(set(current.steps) | set(new.steps))
    start = {name: current.steps.get(name, 0) for name in versions}
    end = {name: new.steps.get(name, 0) for name in versions}
    gaining = _unit_order({v: end[v] - start[v] for v in versions if end[v] > start[v]})
    losing = _unit_order({v: start[v] - end[v] for v in versions if start[v] > end[v]})
    change = len(gaining)  # == len(losing): both tables sum to 100%
    if percents is None:
        # no share moves: nothing to split (a policy sized in pods needs no fleet then)
        percents = (100,) if routing is None or not change else routing.step_percents_for(None)
    percents = _checked(percents)

    steps: list[PlannedStep] = []
    shares, moved = dict(start), 0
    for percent in percents[:-1]:
        target = units_moved(change, percent)
        if target == moved:
            continue
        for name in gaining[moved:target]:
            shares[name] += 1
        for name in losing[moved:target]:
            shares[name] -= 1
        moved = target
        table = RoutingTable(dict(shares), current.default_version, current.control_version)
        steps.append(PlannedStep(table, wait, round(100 * moved / change, 2)))

    last = PlannedStep(new, wait, 100.0)
    previous = steps[-1].table if steps else current
    if new == previous:
        return steps
    if steps and _nonzero(previous) == _nonzero(new):
        steps[-1] = last  # the whole change is made: only membership, default or control are left
    else:
        steps.append(last)
    return steps


def planned_wait_seconds(steps: Sequence[PlannedStep], policy: BlueGreenUpdatePolicy | None) -> int:
    """The longest a shift along `steps` bakes under `policy`: each step's wait interval plus the
    termination wait (no policy or no step: nothing). The spec's timeout rule uses the same
    formula, so a planned shift always fits the policy's `maximum_execution_timeout_in_seconds`."""
    if policy is None:
        return 0
    return total_wait_seconds(
        len(steps),
        policy.traffic_routing_configuration.wait_interval_in_seconds,
        policy.termination_wait_in_seconds,
    )


def planned_traffic(steps: Sequence[PlannedStep]) -> list[dict[str, float]]:
    """The plan in plain JSON-ready form, `[{version: percent}, ...]` per step, as a TrafficSplit
    shows it at preview."""
    return [step.traffic for step in steps]


def moved_percent(current: RoutingTable, new: RoutingTable) -> float:
    """The share of all traffic a change from `current` to `new` sends to other versions: what the
    versions gaining share gain together (a version joining counts from 0, one leaving to 0).
    A review shows it, and a policy pack reads it to ask big shifts for a guarded rollout."""
    versions = set(current.steps) | set(new.steps)
    gained = sum(max(0, new.steps.get(v, 0) - current.steps.get(v, 0)) for v in versions)
    return gained / STEPS_PER_PERCENT
