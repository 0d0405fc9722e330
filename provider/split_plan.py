"""The steps a TrafficSplit change walks, from the previous split to the new one under its policy.

`check` shows them as the `planned_steps` input (`[{versiona: 87, versionb: 13}, {...}]`), so a
preview's diff lists them; `update` walks the same plan, made from the same two tables, and
records it as the `planned_steps` output. A create, or a change that leaves the routing as it is,
plans no step.
"""

from __future__ import annotations

from provider.replacement_rules import changed_versions, moved_probes
from provider.split_retention import effective_split, live_split
from provider.split_rules import TrafficSplitInputs, routing
from rollout import PlannedStep, plan_steps
from rollout.capacity import shift_step_percents
from rollout.replacement import ReplacementPlan, plan_replacement
from specification.routing import RoutingTable

__all__ = [
    "PLAN_FIELDS",
    "REPLACEMENT_FIELDS",
    "planned_replacement",
    "planned_shift",
    "replacement_candidates",
    "replaced_version",
]

# What the plan is made of; the other inputs (credentials, alarms) may be unknown in a preview.
PLAN_FIELDS = (
    "shares",
    "default_version",
    "control_version",
    "is_default_set",
    "blue_green_update_policy",
    "rolling_update_policy",
    "retain_weights",
    "versions_serving",
)


# What decides a replacement, beside the plan's fields.
REPLACEMENT_FIELDS = ("serving_digests", "serving_probes", "endpoint", "namespace", "alarms")


def replacement_candidates(old: TrafficSplitInputs | None, new: TrafficSplitInputs) -> list[str]:
    """The versions whose serving definition changed and that take traffic in the table the
    routers run, under a policy with live routing (`provider.replacement_rules`)."""
    if old is None or not new.guards_version_updates() or new.endpoint is None:
        return []
    live = routing(live_split(old))
    changed = changed_versions(old.serving_digests, new.versions_serving)
    moved = moved_probes(old.serving_probes, new.versions_serving)
    return [name for name in changed if live.steps.get(name, 0) > 0 and name not in moved]


def replaced_version(old: TrafficSplitInputs | None, new: TrafficSplitInputs) -> str | None:
    """The one version this change replaces blue/green (None: none, or a refused change)."""
    candidates = replacement_candidates(old, new)
    return candidates[0] if len(candidates) == 1 else None


def planned_replacement(
    old: TrafficSplitInputs, new: TrafficSplitInputs, version: str, live: RoutingTable | None = None
) -> ReplacementPlan:
    """How `version` is replaced (`rollout.plan_replacement`) from the table `live` (unset: the
    one `old` left live), with the fleet it is declared with. Raises ValueError, naming the
    field, for a size that fleet cannot honour."""
    assert new.versions_serving is not None
    return plan_replacement(
        live if live is not None else routing(live_split(old)),
        version,
        new.versions_serving[version].fleet,
        new.blue_green_update_policy,
        new.rolling_update_policy,
    )


def planned_shift(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[PlannedStep]:
    """The steps from the table `old` left live to the one `new` applies (its declared table,
    or the live one kept: `provider.split_retention`) under `new`'s policy (none: one step)."""
    policy = new.blue_green_update_policy
    configuration = policy.traffic_routing_configuration if policy is not None else None
    live = live_split(old)
    current, target = routing(live), routing(effective_split(live, new))
    fleets = {name: each.fleet for name, each in (new.versions_serving or {}).items()}
    percents = shift_step_percents(policy, current, target, fleets)
    return plan_steps(current, target, configuration, percents=percents)
