"""The routing tables of a blue/green replacement of one version, in a cluster and locally.

While version `v` is replaced, the table has two entries for it: `v` (its old pods, blue) and
`v_green` (its new pods, green; `router.names.green_target`), both answering as `v`. A
replacement walks `v`'s share from `v` to `v_green` with the step engine, and once blue runs the
new definition too, folds `v_green` back into `v` in one step (`settled_table`): no request moves
then, both backends serve the same definition.

`live_table` reads such a table back from the buckets a routing ConfigMap's split map gives each
backend, so a replacement interrupted by a killed `up` is found and finished or undone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rollout.capacity import green_pods_per_step, replacement_schedule, rolling_schedule
from rollout.steps import PlannedStep, plan_steps
from specification.deployment_config import MIN_EXECUTION_TIMEOUT_SECONDS, BlueGreenUpdatePolicy
from specification.rolling_update import RollingUpdatePolicy
from specification.routing import RoutingTable

__all__ = [
    "ReplacementPlan",
    "ReplacementTables",
    "green_shares",
    "live_table",
    "plan_replacement",
    "replacement_tables",
    "settled_table",
]


@dataclass(frozen=True)
class ReplacementTables:
    """The tables of replacing `version`: `start` (its share on blue, green at 0), `target` (its
    share on green) and `final` (the endpoint's own table again, green serving as `version`)."""

    version: str
    start: RoutingTable
    target: RoutingTable
    final: RoutingTable


# The table's entry names as `router.names` makes them (this package imports only the standard
# library and the specification; a test holds the two equal): `v` and, while `v` is replaced,
# `v_green`; their backends `be_v` and `be_v_green`.
BACKEND_PREFIX = "be_"
GREEN_SUFFIX = "_green"


def green_target(version: str) -> str:
    return f"{version}{GREEN_SUFFIX}"


def version_of_target(target: str) -> str:
    return target[: -len(GREEN_SUFFIX)] if target.endswith(GREEN_SUFFIX) else target


def target_backend(target: str) -> str:
    return f"{BACKEND_PREFIX}{target}"


def replacement_tables(live: RoutingTable, version: str) -> ReplacementTables:
    """The tables that move `version`'s share in `live` from its blue to its green replicas.

    `live` may already hold a `v_green` entry (an interrupted replacement): `start` keeps it as
    it is, `target` puts the whole share of the version on green, `final` folds it back."""
    green = green_target(version)
    steps = dict(live.steps)
    share = steps[version] + steps.get(green, 0)
    start = RoutingTable({**steps, green: steps.get(green, 0)}, live.default_version, live.control_version)
    target = RoutingTable({**steps, version: 0, green: share}, live.default_version, live.control_version)
    return ReplacementTables(version, start, target, settled_table(live))


def settled_table(table: RoutingTable) -> RoutingTable:
    """`table` with every `v_green` entry's share folded into its version `v`, and the entry gone."""
    steps: dict[str, int] = {}
    for name, count in table.steps.items():
        served = version_of_target(name)
        steps[served] = steps.get(served, 0) + count
    return RoutingTable(steps, table.default_version, table.control_version)


def live_table(
    buckets: Mapping[str, int],
    versions: Iterable[str],
    default_version: str,
    control_version: str | None,
) -> RoutingTable:
    """The table whose split map gives each backend `buckets` (`{be_v: n, be_v_green: m}`), for an
    endpoint of `versions` (in its order; a version without buckets has 0%) with its default and
    control. A green entry follows its version. Raises ValueError for a backend of no version,
    or buckets that do not cover 0.01% .. 100% exactly."""
    names = list(versions)
    known = {target_backend(name): name for name in names}
    known |= {target_backend(green_target(name)): green_target(name) for name in names}
    unknown = sorted(set(buckets) - set(known))
    if unknown:
        raise ValueError(f"the split map names {', '.join(unknown)}, a backend of no version of {names}")
    steps: dict[str, int] = {}
    for name in names:
        steps[name] = int(buckets.get(target_backend(name), 0))
        green = green_target(name)
        if target_backend(green) in buckets:
            steps[green] = int(buckets[target_backend(green)])
    if sum(steps.values()) != 10000:
        raise ValueError(f"the split map covers {sum(steps.values())} of 10000 buckets")
    return RoutingTable(steps, default_version, control_version)


def green_shares(table: RoutingTable) -> dict[str, int]:
    """`{v: steps}` of every green entry in `table` (0.01% each), by the version it serves."""
    return {version_of_target(name): count for name, count in table.steps.items() if name.endswith(GREEN_SUFFIX)}


@dataclass(frozen=True)
class ReplacementPlan:
    """How a version is replaced: its `tables`, the `steps` walked from `tables.start` to
    `tables.target`, the green pods ready before each step (`green_pods`, one per step), and the
    engine's limits: the last bake (`termination_wait_seconds`) and the deadline."""

    tables: ReplacementTables
    steps: tuple[PlannedStep, ...]
    green_pods: tuple[int, ...]
    termination_wait_seconds: int
    max_execution_seconds: int


def plan_replacement(
    live: RoutingTable,
    version: str,
    fleet: int,
    blue_green: BlueGreenUpdatePolicy | None,
    rolling: RollingUpdatePolicy | None = None,
) -> ReplacementPlan:
    """The replacement of `version` (blue runs `fleet` declared pods) from the table `live`,
    under the endpoint's `blue_green` policy (its steps, bakes, termination wait and deadline;
    green sized like blue, or growing by an INSTANCE_COUNT size), or else a guarded rolling
    update's `rolling` policy (green growing one `maximum_batch_size` batch a step, each baking
    `wait_interval_in_seconds`; no termination wait; its `maximum_execution_timeout_in_seconds`).
    Raises ValueError, naming the field, for a size the fleet cannot honour."""
    tables = replacement_tables(live, version)
    if blue_green is not None or rolling is None:
        schedule = replacement_schedule(blue_green, fleet)
        routing = blue_green.traffic_routing_configuration if blue_green is not None else None
        wait = routing.wait_interval_in_seconds if routing is not None else 0
        termination = blue_green.termination_wait_in_seconds if blue_green is not None else 0
        deadline = (
            blue_green.maximum_execution_timeout_in_seconds
            if blue_green is not None
            else MIN_EXECUTION_TIMEOUT_SECONDS
        )
    else:
        schedule = rolling_schedule(rolling, fleet)
        routing, wait, termination = None, rolling.wait_interval_in_seconds, 0
        deadline = rolling.maximum_execution_timeout_in_seconds
    planned = plan_steps(tables.start, tables.target, routing, percents=[s.percent for s in schedule])
    steps = tuple(replace(step, wait_seconds=wait) for step in planned)
    pods = green_pods_per_step(schedule, steps, green_target(version)) or (fleet,)
    return ReplacementPlan(tables, steps, pods, termination, deadline)
