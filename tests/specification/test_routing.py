"""Tests for specification.routing: the one routing table, and every rule on it, checked there."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specification.routing import (
    STEPS_PER_PERCENT,
    TOTAL_STEPS,
    RoutingError,
    RoutingTable,
    routing_table,
    share_steps,
)


@st.composite
def shares_and_default(draw: st.DrawFn) -> tuple[dict[str, float], str]:
    """1-6 versions whose shares (0.01% steps) sum to at most 100%, plus one of them as default."""
    count = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(0, TOTAL_STEPS), min_size=count, max_size=count)))
    steps = [cuts[0]] + [cuts[i] - cuts[i - 1] for i in range(1, count)]
    shares = {f"version{i}": s / STEPS_PER_PERCENT for i, s in enumerate(steps)}
    default = draw(st.sampled_from(sorted(shares)))
    return shares, default


def test_total_steps() -> None:
    assert (STEPS_PER_PERCENT, TOTAL_STEPS) == (100, 10_000)


@pytest.mark.parametrize(
    ("percent", "steps"), [(0, 0), (0.01, 1), (20, 2000), (33.33, 3333), (100, 10_000), (0.29, 29)]
)
def test_share_steps(percent: float, steps: int) -> None:
    assert share_steps(percent) == steps


@pytest.mark.parametrize(
    ("percent", "message"),
    [
        (10.005, "more precision than the router's 0.01% step"),
        (-0.01, "outside 0-100"),
        (100.01, "outside 0-100"),
        (float("nan"), "outside 0-100"),
        (float("inf"), "outside 0-100"),
        ("10", "not a number of percent"),
        (True, "not a number of percent"),
    ],
)
def test_share_steps_refuses_what_the_router_cannot_split(percent: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        share_steps(percent)


def test_seed_example_first_version_alone_gets_everything() -> None:
    # versiona takes 20% and is the default: the other 80% go to it as well.
    assert routing_table({"versiona": 20}, "versiona").traffic == {"versiona": 100.0}


def test_seed_example_second_version_takes_ten_percent() -> None:
    table = routing_table({"versiona": 20, "versionb": 10}, "versiona")
    assert table.traffic == {"versiona": 90.0, "versionb": 10.0}


def test_seed_example_second_version_raised_and_made_default() -> None:
    table = routing_table({"versiona": 20, "versionb": 40}, "versionb")
    assert table.traffic == {"versiona": 20.0, "versionb": 80.0}


def test_seed_example_test_and_prod_remainder() -> None:
    # 'test' 10% and 'prod' 30%: the remaining 60% go to the default.
    table = routing_table({"default": 0, "test": 10, "prod": 30}, "default")
    assert table.traffic == {"default": 60.0, "prod": 30.0, "test": 10.0}


def test_thirds_sum_to_exactly_100_in_steps() -> None:
    table = routing_table({"a": 33.33, "b": 33.33, "c": 33.34}, "a")
    assert table.steps == {"a": 3333, "b": 3333, "c": 3334}


def test_exactly_100_leaves_nothing_for_the_default() -> None:
    assert routing_table({"a": 0, "b": 100}, "a").traffic == {"a": 0.0, "b": 100.0}


def test_versions_are_in_name_order_whatever_order_they_came_in() -> None:
    table = routing_table({"c": 10, "a": 20, "b": 30}, "c")
    assert table.versions == ("a", "b", "c")
    assert table == routing_table({"a": 20, "b": 30, "c": 10}, "c")


def test_the_table_holds_default_control_roles_and_treatments() -> None:
    table = routing_table({"a": 50, "b": 30, "c": 0}, "c", "b")
    assert (table.default_version, table.control_version) == ("c", "b")
    assert table.treatments == ["a", "c"]
    assert [table.role(name) for name in table.versions] == ["treatment", "control", "treatment"]
    with pytest.raises(KeyError):
        table.role("z")


def test_shares_over_100_are_refused_with_the_sum_and_the_shares() -> None:
    with pytest.raises(RoutingError) as raised:
        routing_table({"a": 50, "b": 50.01}, "a")
    assert raised.value.problems == (
        ("shares", "traffic_percentile values sum to 100.01, more than 100 (a=50, b=50.01)"),
    )


def test_every_broken_rule_is_named_with_its_field() -> None:
    with pytest.raises(RoutingError) as raised:
        routing_table({"a": 10.005, "b": 20}, "z", "y")
    fields = [field for field, _ in raised.value.problems]
    assert fields == ["shares", "default_version", "control_version"]
    assert "a: 10.005 has more precision" in str(raised.value)
    assert "default version 'z' is not one of the versions (a, b)" in str(raised.value)
    assert "control version 'y' is not one of the versions (a, b)" in str(raised.value)


def test_inputs_are_not_mutated() -> None:
    shares = {"a": 10.0, "b": 20.0}
    routing_table(shares, "a")
    assert shares == {"a": 10.0, "b": 20.0}


def test_an_effective_table_must_sum_to_exactly_100() -> None:
    with pytest.raises(RoutingError, match=r"effective shares sum to 99.99%, not 100% \(a=90, b=9.99\)"):
        RoutingTable({"a": 9000, "b": 999}, "a")


@pytest.mark.parametrize("bad", [-1, 10_001, 1.5, "9000", True])
def test_an_effective_table_takes_whole_steps_in_range(bad: object) -> None:
    with pytest.raises(RoutingError, match="is not a whole number of 0.01% steps"):
        RoutingTable({"a": bad, "b": 1000}, "a")  # type: ignore[dict-item]


def test_an_empty_table_is_refused() -> None:
    with pytest.raises(RoutingError, match="needs at least one version"):
        RoutingTable({}, "a")


def test_steps_that_crossed_the_wire_as_floats_are_taken() -> None:
    table = RoutingTable.from_steps({"b": 1000.0, "a": 9000.0}, "a", None)
    assert table == routing_table({"a": 0, "b": 10}, "a")
    assert all(type(step) is int for step in table.steps.values())
    with pytest.raises(RoutingError):
        RoutingTable.from_steps({"a": 9999.5, "b": 0.5}, "a")


def test_check_versions_names_the_missing_and_the_unknown() -> None:
    table = routing_table({"a": 10, "z": 0}, "a")
    table.check_versions(["z", "a"])
    with pytest.raises(RoutingError, match=r"exactly the endpoint's versions \(a, b\); missing: b; unknown: z"):
        table.check_versions(["a", "b"])


@settings(max_examples=150, deadline=None)
@given(case=shares_and_default())
def test_effective_table_properties(case: tuple[dict[str, float], str]) -> None:
    shares, default = case
    table = routing_table(shares, default)
    steps = table.steps
    assert sorted(steps) == sorted(shares) == list(table.versions)
    # Sums to exactly 100% (in the router's integer 0.01% steps).
    assert sum(steps.values()) == TOTAL_STEPS
    assert sum(table.traffic.values()) == pytest.approx(100.0, abs=1e-9)
    remainder = TOTAL_STEPS - sum(share_steps(p) for p in shares.values())
    for name, share in shares.items():
        assert table.traffic[name] == steps[name] / STEPS_PER_PERCENT
        if name == default:
            assert steps[name] == share_steps(share) + remainder
        else:
            # Non-default versions keep exactly their configured share.
            assert table.traffic[name] == share
    # The effective table is itself a valid table, and the same value again.
    assert RoutingTable.from_steps(dict(steps), default) == table


@settings(max_examples=60, deadline=None)
@given(case=shares_and_default(), extra=st.integers(min_value=1, max_value=TOTAL_STEPS))
def test_shares_over_100_always_refused(case: tuple[dict[str, float], str], extra: int) -> None:
    shares, default = case
    total = sum(share_steps(p) for p in shares.values())
    needed = TOTAL_STEPS - total + extra  # one share holds at most 100%: spread over two
    first = min(needed, TOTAL_STEPS)
    shares = {
        **shares,
        "overflow1": first / STEPS_PER_PERCENT,
        "overflow2": (needed - first) / STEPS_PER_PERCENT,
    }
    with pytest.raises(RoutingError, match=rf"sum to {(TOTAL_STEPS + extra) / 100:g}, more than 100"):
        routing_table(shares, default)
