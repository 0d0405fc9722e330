"""Tests for rollout.capacity: INSTANCE_COUNT sizes converted with a fleet (each rule's message
naming its field, the rule and the fleet), the declared fleets of a version and of a traffic
shift, the schedule of a blue/green replacement's green pods, and its planned steps' pods."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollout.capacity import (
    ReplacementStep,
    declared_fleet,
    fleet_step_percents,
    gaining_fleet,
    green_pods_per_step,
    replacement_schedule,
    shift_step_percents,
)
from rollout.steps import plan_steps
from specification.deployment_config import BlueGreenUpdatePolicy
from specification.routing import RoutingTable, routing_table
from tests.specs import version

POLICY = "deployment_config.blue_green_update_policy"
ROUTING = f"{POLICY}.traffic_routing_configuration"


def _policy(
    type_: str = "CANARY",
    size: tuple[str, int] | None = ("INSTANCE_COUNT", 1),
    wait: int = 60,
    timeout: int = 28800,
    termination: int = 0,
) -> BlueGreenUpdatePolicy:
    routing: dict[str, Any] = {"type": type_, "wait_interval_in_seconds": wait}
    if type_ != "ALL_AT_ONCE" and size is not None:
        field = "canary_size" if type_ == "CANARY" else "linear_step_size"
        routing[field] = {"type": size[0], "value": size[1]}
    return BlueGreenUpdatePolicy.model_validate(
        {
            "traffic_routing_configuration": routing,
            "maximum_execution_timeout_in_seconds": timeout,
            "termination_wait_in_seconds": termination,
        }
    )


def _steps(schedule: list[ReplacementStep]) -> list[tuple[int | Fraction, int]]:
    return [(step.percent, step.green_pods) for step in schedule]


# --------------------------------------------------------------------------- declared fleets


def test_the_declared_fleet_is_num_replicas_else_the_autoscaling_floor() -> None:
    assert declared_fleet(version(num_replicas=3)) == 3
    assert declared_fleet(version(autoscale_min_replicas=2, autoscale_max_replicas=8)) == 2
    assert declared_fleet(version()) == 1  # autoscaled from its default floor


def test_a_shifts_fleet_is_the_declared_pods_of_the_versions_gaining_share() -> None:
    versions = [
        version("a", num_replicas=2),
        version("b", num_replicas=3),
        version("c", autoscale_min_replicas=4),
    ]
    current = routing_table({"a": 100, "b": 0}, "a")
    assert gaining_fleet(current, routing_table({"a": 50, "b": 30, "c": 20}, "a"), versions) == 3 + 4
    assert gaining_fleet(current, routing_table({"a": 60, "b": 40}, "a"), versions) == 3
    assert gaining_fleet(current, current, versions) == 0
    with pytest.raises(ValueError, match="version 'd' gains share but is not one of the declared"):
        gaining_fleet(current, routing_table({"a": 90, "d": 10}, "a"), versions)


# --------------------------------------------------------------------------- step percents


def test_percent_sizes_need_no_fleet() -> None:
    assert fleet_step_percents(None, None) == (100,)
    assert fleet_step_percents(_policy("ALL_AT_ONCE"), 3) == (100,)
    percent = _policy("LINEAR", ("CAPACITY_PERCENT", 30))
    assert fleet_step_percents(percent, None) == fleet_step_percents(percent, 7) == (30, 60, 90, 100)


@pytest.mark.parametrize(
    ("type_", "value", "fleet", "percents"),
    [
        ("CANARY", 1, 2, (50, 100)),
        ("CANARY", 1, 4, (25, 100)),
        ("CANARY", 1, 3, (Fraction(100, 3), 100)),
        ("LINEAR", 2, 5, (40, 80, 100)),
        ("LINEAR", 1, 3, (Fraction(100, 3), Fraction(200, 3), 100)),
        ("LINEAR", 3, 10, (30, 60, 90, 100)),
    ],
)
def test_an_instance_count_is_its_share_of_the_fleet(
    type_: str, value: int, fleet: int, percents: tuple[int | Fraction, ...]
) -> None:
    assert fleet_step_percents(_policy(type_, ("INSTANCE_COUNT", value)), fleet) == percents


@pytest.mark.parametrize(
    ("type_", "value", "fleet", "message"),
    [
        (
            "CANARY", 2, 3,
            f"{ROUTING}.canary_size.value: an INSTANCE_COUNT canary is at most half the fleet "
            "(the seed's rule), and 2 pods of a fleet of 3 pods is 66.67%; lower it to 1 or fewer",
        ),
        (
            "CANARY", 4, 4,
            f"{ROUTING}.canary_size.value: an INSTANCE_COUNT canary is at most half the fleet "
            "(the seed's rule), and 4 pods of a fleet of 4 pods is 100% (the whole fleet); lower "
            "it to 2 or fewer",
        ),
        (
            "LINEAR", 1, 20,
            f"{ROUTING}.linear_step_size.value: an INSTANCE_COUNT linear step is 10-50% of the "
            "fleet (the seed's limits), and 1 pod of a fleet of 20 pods is 5%; use 2-10 pods",
        ),
        (
            "LINEAR", 3, 4,
            f"{ROUTING}.linear_step_size.value: an INSTANCE_COUNT linear step is 10-50% of the "
            "fleet (the seed's limits), and 3 pods of a fleet of 4 pods is 75%; use 1-2 pods",
        ),
    ],
)
def test_a_count_breaking_the_seeds_rule_names_the_field_the_rule_and_the_fleet(
    type_: str, value: int, fleet: int, message: str
) -> None:
    policy = _policy(type_, ("INSTANCE_COUNT", value))
    with pytest.raises(ValueError) as error:
        fleet_step_percents(policy, fleet)
    assert str(error.value) == message
    with pytest.raises(ValueError) as again:
        replacement_schedule(policy, fleet)
    assert str(again.value) == message


def test_a_count_without_a_fleet_is_refused_naming_the_field() -> None:
    needs_a_fleet = rf"^{ROUTING}\.canary_size\.value: an INSTANCE_COUNT size counts pods"
    with pytest.raises(ValueError, match=needs_a_fleet):
        fleet_step_percents(_policy(), None)


def test_the_timeout_must_exceed_the_wait_of_the_steps_the_fleet_takes() -> None:
    # LINEAR 1 pod: 2 steps at the fewest (what the spec checked), 10 for a fleet of 10
    policy = _policy("LINEAR", ("INSTANCE_COUNT", 1), wait=300, timeout=1200, termination=60)
    assert fleet_step_percents(policy, 3) == (Fraction(100, 3), Fraction(200, 3), 100)  # 960 s
    with pytest.raises(ValueError) as error:
        fleet_step_percents(policy, 10)
    assert str(error.value) == (
        f"{POLICY}.maximum_execution_timeout_in_seconds: 1200 s must exceed the total wait of "
        "3060 s (10 steps for a fleet of 10 pods x 300 s wait_interval_in_seconds + 60 s "
        "termination_wait_in_seconds); raise it above 3060"
    )
    with pytest.raises(ValueError, match=r"4 steps for a fleet of 4 pods x 300 s"):
        replacement_schedule(policy, 4)


def test_a_shift_converts_with_the_versions_gaining_share() -> None:
    versions = [version("a", num_replicas=4), version("b", num_replicas=1), version("c", num_replicas=3)]
    current = routing_table({"a": 100}, "a")
    new = routing_table({"a": 50, "b": 25, "c": 25}, "a")
    assert shift_step_percents(_policy(), current, new, versions) == (25, 100)  # 1 pod of b + c's 3
    with pytest.raises(ValueError, match="1 pod of a fleet of 1 pod is 100% .the whole fleet."):
        shift_step_percents(_policy(), current, routing_table({"a": 50, "b": 50}, "a"), versions)
    # nothing gains (a new default only): nothing to split, no fleet needed
    assert shift_step_percents(_policy(), current, current, versions) == (100,)
    percent = _policy("CANARY", ("CAPACITY_PERCENT", 10))
    assert shift_step_percents(percent, current, new, versions) == (10, 100)
    assert shift_step_percents(None, current, new, versions) == (100,)


# --------------------------------------------------------------------------- replacements


@pytest.mark.parametrize(
    ("policy", "fleet", "schedule"),
    [
        (_policy("CANARY", ("INSTANCE_COUNT", 1)), 2, [(50, 1), (100, 2)]),
        (_policy("CANARY", ("INSTANCE_COUNT", 1)), 4, [(25, 1), (100, 4)]),
        (_policy("CANARY", ("INSTANCE_COUNT", 2)), 5, [(40, 2), (100, 5)]),
        (_policy("LINEAR", ("INSTANCE_COUNT", 2)), 5, [(40, 2), (80, 4), (100, 5)]),
        (_policy("LINEAR", ("INSTANCE_COUNT", 2)), 4, [(50, 2), (100, 4)]),
        (
            _policy("LINEAR", ("INSTANCE_COUNT", 1)),
            3,
            [(Fraction(100, 3), 1), (Fraction(200, 3), 2), (100, 3)],
        ),
        # sized like blue from the start
        (_policy("CANARY", ("CAPACITY_PERCENT", 10)), 3, [(10, 3), (100, 3)]),
        (_policy("LINEAR", ("CAPACITY_PERCENT", 50)), 2, [(50, 2), (100, 2)]),
        (_policy("ALL_AT_ONCE"), 3, [(100, 3)]),
        (None, 2, [(100, 2)]),
    ],
)
def test_a_replacement_schedule_starts_green_with_the_first_steps_pods(
    policy: BlueGreenUpdatePolicy | None, fleet: int, schedule: list[tuple[int | Fraction, int]]
) -> None:
    assert _steps(replacement_schedule(policy, fleet)) == schedule


def test_a_replacement_needs_a_fleet() -> None:
    with pytest.raises(ValueError, match="runs at least 1 pod, got a fleet of 0"):
        replacement_schedule(_policy(), 0)


@settings(max_examples=200, deadline=None)
@given(
    linear=st.booleans(),
    value=st.integers(1, 20),
    fleet=st.integers(1, 60),
)
def test_every_schedule_grows_green_in_step_with_its_share(linear: bool, value: int, fleet: int) -> None:
    policy = _policy("LINEAR" if linear else "CANARY", ("INSTANCE_COUNT", value))
    try:
        schedule = replacement_schedule(policy, fleet)
    except ValueError:
        percent = 100 * value / fleet
        assert not (10 <= percent <= 50 if linear else percent <= 50)
        return
    pods = [step.green_pods for step in schedule]
    assert pods[0] == value and pods[-1] == fleet
    assert pods == sorted(pods) and len(set(pods)) == len(pods)
    assert [step.percent for step in schedule] == list(fleet_step_percents(policy, fleet))
    # before the last step, green's share of the version's traffic is its share of the fleet
    for step in schedule[:-1]:
        assert step.percent == Fraction(100 * step.green_pods, fleet)
    assert schedule[-1].percent == 100


def _replacement(share: float) -> tuple[RoutingTable, RoutingTable]:
    start = routing_table({"va": 100 - share, "vb": share, "vb_green": 0}, "va")
    target = routing_table({"va": 100 - share, "vb": 0, "vb_green": share}, "va")
    return start, target


@pytest.mark.parametrize(
    ("policy", "fleet", "share", "pods"),
    [
        (_policy("CANARY", ("INSTANCE_COUNT", 1)), 2, 50, (1, 2)),
        (_policy("LINEAR", ("INSTANCE_COUNT", 2)), 5, 50, (2, 4, 5)),
        (_policy("LINEAR", ("INSTANCE_COUNT", 1)), 3, 40, (1, 2, 3)),
        # 0.02%: 1/3 and 2/3 of two 0.01% units both round to one: the second step is dropped
        (_policy("LINEAR", ("INSTANCE_COUNT", 1)), 3, 0.02, (1, 3)),
        # 0.01%: the canary rounds to the whole share: one step, the whole fleet before it
        (_policy("CANARY", ("INSTANCE_COUNT", 1)), 2, 0.01, (2,)),
        (_policy("CANARY", ("CAPACITY_PERCENT", 10)), 3, 50, (3, 3)),
    ],
)
def test_each_planned_step_of_a_replacement_gets_its_schedules_pods(
    policy: BlueGreenUpdatePolicy, fleet: int, share: float, pods: tuple[int, ...]
) -> None:
    schedule = replacement_schedule(policy, fleet)
    start, target = _replacement(share)
    routing = policy.traffic_routing_configuration
    steps = plan_steps(start, target, routing, percents=[s.percent for s in schedule])
    assert green_pods_per_step(schedule, steps, "vb_green") == pods
    assert steps[-1].table == target
    assert green_pods_per_step(schedule, [], "vb_green") == ()


def test_a_canary_of_a_third_of_the_fleet_moves_a_third_of_the_share_exactly() -> None:
    schedule = replacement_schedule(_policy("CANARY", ("INSTANCE_COUNT", 1)), 3)
    start, target = _replacement(30)  # 3000 units: a third is exactly 1000
    steps = plan_steps(start, target, None, percents=[s.percent for s in schedule])
    assert [step.traffic for step in steps] == [
        {"va": 70.0, "vb": 20.0, "vb_green": 10.0},
        {"va": 70.0, "vb": 0.0, "vb_green": 30.0},
    ]
    assert steps[0].percent_of_change == 33.33
