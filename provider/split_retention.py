"""Retained weights (the seed's `RetainAllVariantProperties` without `DesiredWeight` excluded):
an update keeps the table the routers run instead of walking to the declared one.

The split's inputs keep the declared `shares` (a preview's diff shows what was declared) and,
from the first update that retains, `retained_shares`: the live table, kept. Outputs repeat the
table the routers run. So the live table of a recorded split, inputs or outputs alike, is its
`retained_shares` when it has them, else its `shares`, and every rule that compares a change
with the live table (planning, draining, what is a change) starts from `live_split`.

A retained table keeps every version's live share; a new version joins at 0% (with live routing
it must anyway); a version that leaves must hold no live traffic (the removal rules say so, and
`retention_problems` adds how to drain it while weights are retained). The default version and
the control are roles, not weights: they follow the declaration (the default still moves only
by `is_default`).
"""

from __future__ import annotations

from provider.problems import Problem
from provider.split_rules import TrafficSplitInputs, routing
from specification.routing import STEPS_PER_PERCENT

__all__ = ["effective_split", "live_split", "retained_shares", "retention_problems"]


def live_split(recorded: TrafficSplitInputs) -> TrafficSplitInputs:
    """The split whose table the routers run, from recorded inputs or outputs."""
    if recorded.retained_shares is None:
        return recorded
    return recorded.model_copy(update={"shares": dict(recorded.retained_shares)})


def retained_shares(old: TrafficSplitInputs, new: TrafficSplitInputs) -> dict[str, float] | None:
    """The shares `new` keeps from the live table of `old`, or None when `new` does not retain
    weights (or there is no previous split: a create applies the declared table)."""
    if not new.retain_weights:
        return None
    live = routing(live_split(old)).steps
    return {name: live.get(name, 0) / STEPS_PER_PERCENT for name in new.shares}


def effective_split(old: TrafficSplitInputs | None, new: TrafficSplitInputs) -> TrafficSplitInputs:
    """`new` as an update applies it: its declared shares, or the retained live ones."""
    kept = retained_shares(old, new) if old is not None else None
    if kept is None:
        return new
    return new.model_copy(update={"shares": kept, "retained_shares": kept})


def retention_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """How to drain a version that leaves with live traffic while weights are retained (the
    removal rules refuse the removal itself)."""
    if not new.retain_weights:
        return []
    live = routing(live_split(old)).steps
    return [
        Problem(
            "shares",
            f"version {name!r} holds {live[name] / STEPS_PER_PERCENT:g}% of the live traffic and "
            "weights are retained (retain_all_variant_properties), so a declared "
            "traffic_percentile of 0 is not applied either: drain it in an update with "
            "{variant_property_type: DesiredWeight} in exclude_retained_variant_properties",
        )
        for name in sorted(set(live) - set(new.shares))
        if live[name] > 0
    ]
