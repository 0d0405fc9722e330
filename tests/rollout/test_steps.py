"""Tests for rollout.steps: the planned steps of a traffic shift, on concrete changes and as
properties over any two tables and any policy."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.steps import (
    PlannedStep,
    moved_percent,
    plan_steps,
    planned_traffic,
    planned_wait_seconds,
)
from specification.deployment_config import BlueGreenUpdatePolicy, TrafficRoutingConfiguration
from specification.routing import TOTAL_STEPS, RoutingTable, routing_table


def _routing(type_: str, size: int | None = None, wait: int = 300) -> TrafficRoutingConfiguration:
    data: dict[str, Any] = {"type": type_, "wait_interval_in_seconds": wait}
    if type_ == "CANARY":
        data["canary_size"] = {"type": "CAPACITY_PERCENT", "value": size}
    if type_ == "LINEAR":
        data["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": size}
    return TrafficRoutingConfiguration.model_validate(data)


def _table(traffic: dict[str, float], default: str, control: str | None = None) -> RoutingTable:
    return routing_table(traffic, default, control)


def _tables(steps: list[PlannedStep]) -> list[dict[str, float]]:
    return [step.traffic for step in steps]


# --- concrete changes


def test_linear_25_from_90_10_to_60_40() -> None:
    current = _table({"versiona": 90, "versionb": 10}, "versiona")
    new = _table({"versiona": 60, "versionb": 40}, "versiona")
    steps = plan_steps(current, new, _routing("LINEAR", 25, wait=120))
    assert _tables(steps) == [
        {"versiona": 82.5, "versionb": 17.5},
        {"versiona": 75.0, "versionb": 25.0},
        {"versiona": 67.5, "versionb": 32.5},
        {"versiona": 60.0, "versionb": 40.0},
    ]
    assert [step.percent_of_change for step in steps] == [25.0, 50.0, 75.0, 100.0]
    assert [step.wait_seconds for step in steps] == [120] * 4
    assert steps[-1].table == new


def test_canary_10_of_a_whole_move_then_the_rest_and_the_new_default() -> None:
    current = _table({"a": 100, "b": 0}, "a")
    new = _table({"a": 0, "b": 100}, "b")
    steps = plan_steps(current, new, _routing("CANARY", 10))
    assert _tables(steps) == [{"a": 90.0, "b": 10.0}, {"a": 0.0, "b": 100.0}]
    assert [step.table.default_version for step in steps] == ["a", "b"]
    assert [step.percent_of_change for step in steps] == [10.0, 100.0]


def test_a_new_version_enters_with_its_share_of_the_canary() -> None:
    current = _table({"a": 100}, "a", "a")
    new = _table({"a": 70, "c": 30}, "a", "a")
    steps = plan_steps(current, new, _routing("CANARY", 10))
    assert _tables(steps) == [{"a": 97.0, "c": 3.0}, {"a": 70.0, "c": 30.0}]
    assert steps[0].table.control_version == "a"


def test_a_new_version_not_yet_reached_enters_at_zero() -> None:
    # b gains 90% and c 0.03%: the canary's 9.003% goes to b first, c is listed at 0
    current = _table({"a": 100}, "a")
    new = _table({"a": 9.97, "b": 90, "c": 0.03}, "a")
    first = plan_steps(current, new, _routing("CANARY", 10))[0]
    assert first.table.steps == {"a": 9100, "b": 900, "c": 0}


def test_a_version_at_zero_leaves_at_the_last_step() -> None:
    current = _table({"a": 90, "b": 10, "old": 0}, "a")
    new = _table({"a": 60, "b": 40}, "a")
    steps = plan_steps(current, new, _routing("LINEAR", 50))
    assert [step.table.versions for step in steps] == [("a", "b", "old"), ("a", "b")]
    assert _tables(steps) == [{"a": 75.0, "b": 25.0, "old": 0.0}, {"a": 60.0, "b": 40.0}]


def test_a_version_only_in_the_old_table_is_planned_toward_zero() -> None:
    current = _table({"a": 80, "gone": 20}, "a")
    new = _table({"a": 100}, "a")
    steps = plan_steps(current, new, _routing("LINEAR", 50))
    assert _tables(steps) == [{"a": 90.0, "gone": 10.0}, {"a": 100.0}]


def test_three_way_split_sums_exactly() -> None:
    current = _table({"a": 100}, "a")
    new = _table({"a": 33.33, "b": 33.33, "c": 33.34}, "a")
    steps = plan_steps(current, new, _routing("LINEAR", 30))
    assert [sum(step.table.steps.values()) for step in steps] == [TOTAL_STEPS] * 4
    # 30% of b's and c's 33.33%/33.34% is 9.999%/10.002%: 20.001% of 66.67% moved, rounded half up
    assert steps[0].table.steps == {"a": 8000, "b": 1000, "c": 1000}
    assert steps[-1].table == new


def test_a_change_of_one_step_cannot_be_split() -> None:
    current = _table({"a": 50, "b": 50}, "a")
    new = _table({"a": 49.99, "b": 50.01}, "a")
    for routing in (_routing("CANARY", 10), _routing("LINEAR", 10), _routing("ALL_AT_ONCE"), None):
        steps = plan_steps(current, new, routing)
        assert [step.table for step in steps] == [new]


def test_a_canary_of_a_whole_move_of_one_step_is_the_new_table_with_its_new_default() -> None:
    # 50% of one unit rounds up to the whole change; the last step only moves the default, so the
    # new table replaces the canary instead of a second step that moves no traffic
    current = _table({"a": 99.99, "b": 0.01}, "a")
    new = _table({"a": 99.98, "b": 0.02}, "b")
    steps = plan_steps(current, new, _routing("CANARY", 50))
    assert [step.table for step in steps] == [new]
    assert steps[0].percent_of_change == 100.0


def test_a_canary_smaller_than_one_step_is_dropped() -> None:
    current = _table({"a": 50, "b": 50}, "a")
    new = _table({"a": 49.97, "b": 50.03}, "a")
    assert [step.table for step in plan_steps(current, new, _routing("CANARY", 10))] == [new]


def test_no_version_gets_back_what_an_earlier_step_gave_it() -> None:
    # Largest remainders per step would give g2 0.02%, then 0.01% at 85% of the change (the
    # Alabama paradox); spreading each version's units over the change keeps every share monotone
    current = _table({"a": 100}, "a")
    new = _table({"a": 99.02, "g1": 0.47, "g2": 0.02, "g3": 0.34, "g4": 0.15}, "a")
    steps = plan_steps(current, new, _routing("LINEAR", 17))
    assert [step.table.steps["g2"] for step in steps] == [0, 1, 1, 1, 2, 2]
    assert [sum(step.table.steps[g] for g in ("g1", "g2", "g3", "g4")) for step in steps] == [
        17, 33, 50, 67, 83, 98
    ]


def test_steps_that_move_nothing_are_dropped() -> None:
    # three units under LINEAR 25: 0.75, 1.5, 2.25, 3 units round to 1, 2, 2, 3
    current = _table({"a": 50, "b": 50}, "a")
    new = _table({"a": 49.97, "b": 50.03}, "a")
    steps = plan_steps(current, new, _routing("LINEAR", 25))
    assert [step.table.steps["b"] for step in steps] == [5001, 5002, 5003]
    assert [step.percent_of_change for step in steps] == [33.33, 66.67, 100.0]


def test_only_the_default_or_control_changes_in_one_step() -> None:
    current = _table({"a": 20, "b": 80}, "b", "a")
    new = _table({"a": 20, "b": 80}, "a", "b")
    steps = plan_steps(current, new, _routing("LINEAR", 10))
    assert [step.table for step in steps] == [new]


def test_no_change_plans_no_step() -> None:
    table = _table({"a": 90, "b": 10}, "a")
    assert plan_steps(table, table, _routing("CANARY", 10)) == []
    assert planned_wait_seconds([], None) == 0


@pytest.mark.parametrize("routing", [None, _routing("ALL_AT_ONCE", wait=60)], ids=["no policy", "ALL_AT_ONCE"])
def test_one_step_without_a_stepped_policy(routing: TrafficRoutingConfiguration | None) -> None:
    current = _table({"versiona": 20, "versionb": 10}, "versiona")
    new = _table({"versiona": 20, "versionb": 40}, "versionb")  # the seed's walk-through: 90/10 -> 20/80
    (step,) = plan_steps(current, new, routing)
    assert step.table == new
    assert step.traffic == {"versiona": 20.0, "versionb": 80.0}
    assert step.wait_seconds == (0 if routing is None else 60)


def test_planned_traffic_is_plain_json() -> None:
    current = _table({"versiona": 90, "versionb": 10}, "versiona")
    new = _table({"versiona": 60, "versionb": 40}, "versiona")
    traffic = planned_traffic(plan_steps(current, new, _routing("CANARY", 20)))
    assert json.loads(json.dumps(traffic)) == traffic == [
        {"versiona": 84.0, "versionb": 16.0},
        {"versiona": 60.0, "versionb": 40.0},
    ]


def test_planned_wait_is_every_bake_plus_the_termination_wait() -> None:
    policy = BlueGreenUpdatePolicy.model_validate(
        {
            "traffic_routing_configuration": {
                "type": "LINEAR",
                "wait_interval_in_seconds": 300,
                "linear_step_size": {"type": "CAPACITY_PERCENT", "value": 25},
            },
            "termination_wait_in_seconds": 600,
        }
    )
    current = _table({"a": 100, "b": 0}, "a")
    whole = plan_steps(current, _table({"a": 0, "b": 100}, "a"), policy.traffic_routing_configuration)
    assert planned_wait_seconds(whole, policy) == 4 * 300 + 600 == policy.longest_wait_seconds
    tiny = plan_steps(current, _table({"a": 99.99, "b": 0.01}, "a"), policy.traffic_routing_configuration)
    assert planned_wait_seconds(tiny, policy) == 300 + 600
    assert planned_wait_seconds(whole, None) == 0


# --- properties over any change


NAMES = [f"v{i}" for i in range(8)]


@st.composite
def tables(draw: st.DrawFn, names: list[str]) -> RoutingTable:
    """A table over `names` whose shares (0.01% steps) sum to exactly 100%, with a default and
    maybe a control among them."""
    cuts = sorted(draw(st.lists(st.integers(0, TOTAL_STEPS), min_size=len(names) - 1, max_size=len(names) - 1)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, TOTAL_STEPS])]
    control = draw(st.none() | st.sampled_from(names))
    return RoutingTable(dict(zip(names, shares)), draw(st.sampled_from(names)), control)


@st.composite
def changes(draw: st.DrawFn) -> tuple[RoutingTable, RoutingTable]:
    """Two tables of 1-6 versions each, sharing some versions (or none, or all)."""
    old = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    new = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    return draw(tables(sorted(old))), draw(tables(sorted(new)))


@st.composite
def nudges(draw: st.DrawFn) -> tuple[RoutingTable, RoutingTable]:
    """A small change: up to 0.6% moved from one version to up to four others (some maybe new),
    where rounding decides which steps are left and how each step splits among the versions."""
    current = draw(tables(sorted(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True)))))
    source = draw(st.sampled_from([name for name, share in current.steps.items() if share]))
    shares = dict(current.steps)
    for target in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True)):
        units = draw(st.integers(0, min(150, shares[source])))
        shares[source] -= units
        shares[target] = shares.get(target, 0) + units
    default = draw(st.sampled_from([current.default_version, *sorted(shares)]))
    return current, RoutingTable(shares, default, current.control_version)


any_change = st.one_of(changes(), nudges())

policies = st.one_of(
    st.none(),
    st.builds(lambda wait: _routing("ALL_AT_ONCE", wait=wait), st.integers(0, 3600)),
    st.builds(lambda size, wait: _routing("CANARY", size, wait), st.integers(1, 50), st.integers(0, 3600)),
    st.builds(lambda size, wait: _routing("LINEAR", size, wait), st.integers(10, 50), st.integers(0, 3600)),
)


def _share(table: RoutingTable, version: str) -> int:
    return table.steps.get(version, 0)


def _change(current: RoutingTable, new: RoutingTable) -> int:
    """0.01% units the change moves (what the versions gaining share gain)."""
    versions = set(current.steps) | set(new.steps)
    return sum(max(0, _share(new, v) - _share(current, v)) for v in versions)


@settings(max_examples=150, deadline=None)
@given(change=any_change, routing=policies)
def test_every_plan_walks_exact_monotone_tables_to_the_new_one(
    change: tuple[RoutingTable, RoutingTable], routing: TrafficRoutingConfiguration | None
) -> None:
    current, new = change
    steps = plan_steps(current, new, routing)
    percents = routing.step_percents if routing is not None else (100,)

    if current == new:
        assert steps == []
        return
    assert steps[-1].table == new
    assert 1 <= len(steps) <= len(percents)
    tables_walked = [current, *(step.table for step in steps)]
    for before, after in zip(tables_walked, tables_walked[1:]):
        assert after != before, "a step repeats the previous table"
        assert sum(after.steps.values()) == TOTAL_STEPS
    for step in steps[:-1]:
        assert (step.table.default_version, step.table.control_version) == (
            current.default_version,
            current.control_version,
        )
        assert set(step.table.steps) == set(current.steps) | set(new.steps)
    for version in set(current.steps) | set(new.steps):
        shares = [_share(table, version) for table in tables_walked]
        gaining = _share(new, version) >= _share(current, version)
        assert shares == sorted(shares, reverse=not gaining), f"{version} does not move monotonically: {shares}"
    wait = routing.wait_interval_in_seconds if routing is not None else 0
    assert [step.wait_seconds for step in steps] == [wait] * len(steps)
    progress = [step.percent_of_change for step in steps]
    assert progress == sorted(progress) and progress[-1] == 100.0


@settings(max_examples=150, deadline=None)
@given(change=changes(), routing=policies)
def test_a_change_of_at_least_one_percent_takes_every_step_the_policy_says(
    change: tuple[RoutingTable, RoutingTable], routing: TrafficRoutingConfiguration | None
) -> None:
    current, new = change
    moved = _change(current, new)
    if moved < 100:
        return
    steps = plan_steps(current, new, routing)
    percents = routing.step_percents if routing is not None else (100,)
    assert len(steps) == len(percents)
    versions = set(current.steps) | set(new.steps)
    for step, percent in zip(steps, percents):
        # the change moved so far is the policy's share of it, to the nearest 0.01% step
        assert abs(_change(current, step.table) - moved * percent / 100) <= 0.5
        for version in versions:
            start, end = _share(current, version), _share(new, version)
            ideal = start + (end - start) * percent / 100
            # each version gets its part of the rounded total; spreading units over n versions
            # costs at most n/2 steps (Webster's rule), a few hundredths of a percent
            assert abs(_share(step.table, version) - ideal) <= len(versions) / 2


@settings(max_examples=100, deadline=None)
@given(change=any_change, size=st.integers(1, 50))
def test_the_canary_moves_its_share_of_the_change(change: tuple[RoutingTable, RoutingTable], size: int) -> None:
    current, new = change
    steps = plan_steps(current, new, _routing("CANARY", size))
    moved = _change(current, new)
    first = _change(current, steps[0].table) if steps else 0
    canary = moved * size / 100
    if 0 < first < moved:  # the canary is a step of its own, within one 0.01% step of its size
        assert abs(first - canary) <= 1
        assert len(steps) == 2
    elif moved:  # a change too small to split: the canary rounds to nothing or to all of it
        assert [step.table for step in steps] == [new]
        assert canary < 0.5 or canary >= moved - 0.5


@settings(max_examples=60, deadline=None)
@given(change=any_change, size=st.integers(10, 50), wait=st.integers(0, 600), termination=st.integers(0, 600))
def test_a_planned_wait_never_exceeds_what_the_timeout_rule_allowed(
    change: tuple[RoutingTable, RoutingTable], size: int, wait: int, termination: int
) -> None:
    policy = BlueGreenUpdatePolicy(
        traffic_routing_configuration=_routing("LINEAR", size, wait), termination_wait_in_seconds=termination
    )
    steps = plan_steps(*change, policy.traffic_routing_configuration)
    planned = planned_wait_seconds(steps, policy)
    assert planned <= policy.longest_wait_seconds < policy.maximum_execution_timeout_in_seconds
    assert planned == (len(steps) * wait + termination if steps else 0)


def test_moved_percent_is_what_the_versions_gaining_share_gain() -> None:
    before = routing_table({"a": 20, "b": 10}, "a")  # 90 / 10
    assert moved_percent(before, routing_table({"a": 20, "b": 40}, "b")) == 70.0  # 20 / 80
    assert moved_percent(before, before) == 0.0
    joined = routing_table({"a": 20, "b": 10, "c": 5}, "a")  # 85 / 10 / 5
    assert moved_percent(before, joined) == 5.0
    left = routing_table({"a": 0}, "a")  # b leaves, its 10% goes to a
    assert moved_percent(before, left) == 10.0


# --- explicit percents (a policy sized in pods, converted with its fleet)


def _count_routing(type_: str, pods: int, wait: int = 300) -> TrafficRoutingConfiguration:
    field = "canary_size" if type_ == "CANARY" else "linear_step_size"
    return TrafficRoutingConfiguration.model_validate(
        {"type": type_, "wait_interval_in_seconds": wait, field: {"type": "INSTANCE_COUNT", "value": pods}}
    )


def test_explicit_percents_replace_the_policys_and_may_be_exact_fractions() -> None:
    current = _table({"a": 100, "b": 0}, "a")
    new = _table({"a": 0, "b": 100}, "a")
    thirds = [Fraction(100, 3), Fraction(200, 3), 100]
    steps = plan_steps(current, new, _count_routing("LINEAR", 1, wait=45), percents=thirds)
    assert _tables(steps) == [
        {"a": 66.67, "b": 33.33},
        {"a": 33.33, "b": 66.67},
        {"a": 0.0, "b": 100.0},
    ]
    assert [step.wait_seconds for step in steps] == [45] * 3
    assert [step.percent_of_change for step in steps] == [33.33, 66.67, 100.0]
    # the same as a percent policy's when the percents are the same
    assert plan_steps(current, new, None, percents=(25, 100)) == plan_steps(
        current, new, _routing("CANARY", 25, wait=0)
    )


def test_a_half_unit_rounds_up_exactly() -> None:
    # 3 units x 1/6 = 0.5 unit exactly: half up, one unit (a float 100/6 would say so by luck only)
    current = RoutingTable({"a": TOTAL_STEPS - 3, "b": 3}, "a")
    new = RoutingTable({"a": TOTAL_STEPS, "b": 0}, "a")
    (first, _) = plan_steps(current, new, None, percents=[Fraction(100, 6), 100])
    assert first.table.steps == {"a": TOTAL_STEPS - 2, "b": 2}


@pytest.mark.parametrize("percents", [[], [50], [50, 50, 100], [0, 100], [60, 40, 100], [50, 101]])
def test_percents_must_rise_to_exactly_100(percents: list[int]) -> None:
    current, new = _table({"a": 100, "b": 0}, "a"), _table({"a": 0, "b": 100}, "a")
    with pytest.raises(ValueError, match="step percents must rise strictly from above 0 to exactly 100"):
        plan_steps(current, new, None, percents=percents)


def test_a_policy_sized_in_pods_needs_its_percents_only_when_traffic_moves() -> None:
    routing = _count_routing("CANARY", 1)
    current = _table({"a": 100, "b": 0}, "a")
    assert plan_steps(current, current, routing) == []
    # a new default alone moves no share: one step, no fleet needed
    (only,) = plan_steps(current, _table({"a": 100, "b": 0}, "b"), routing)
    assert only.table.default_version == "b"
    with pytest.raises(ValueError, match=r"canary_size\.value: an INSTANCE_COUNT size counts pods"):
        plan_steps(current, _table({"a": 90, "b": 10}, "a"), routing)
