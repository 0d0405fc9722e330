"""The steps a TrafficSplit change walks, from the previous split to the new one under its policy.

`check` shows them as the `planned_steps` input (`[{versiona: 87, versionb: 13}, {...}]`), so a
preview's diff lists them; `update` walks the same plan, made from the same two tables, and
records it as the `planned_steps` output. A create, or a change that leaves the routing as it is,
plans no step.
"""

from __future__ import annotations

from provider.split_retention import effective_split, live_split
from provider.split_rules import TrafficSplitInputs, routing
from rollout import PlannedStep, plan_steps

__all__ = ["PLAN_FIELDS", "planned_shift"]

# What the plan is made of; the other inputs (credentials, alarms) may be unknown in a preview.
PLAN_FIELDS = (
    "shares",
    "default_version",
    "control_version",
    "is_default_set",
    "blue_green_update_policy",
    "retain_weights",
)


def planned_shift(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[PlannedStep]:
    """The steps from the table `old` left live to the one `new` applies (its declared table,
    or the live one kept: `provider.split_retention`) under `new`'s policy (none: one step)."""
    policy = new.blue_green_update_policy
    configuration = policy.traffic_routing_configuration if policy is not None else None
    live = live_split(old)
    return plan_steps(routing(live), routing(effective_split(live, new)), configuration)
