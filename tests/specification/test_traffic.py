"""Tests for specification.traffic: each version keeps its share and the default takes the remainder, exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specification.traffic import (
    TOTAL_STEPS,
    effective_steps,
    effective_traffic,
    to_steps,
)


@st.composite
def shares_and_default(draw: st.DrawFn) -> tuple[dict[str, float], str]:
    """1-6 versions whose shares (0.01% steps) sum to at most 100%, plus one of them as default."""
    count = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(0, TOTAL_STEPS), min_size=count, max_size=count)))
    steps = [cuts[0]] + [cuts[i] - cuts[i - 1] for i in range(1, count)]
    shares = {f"version{i}": s / 100 for i, s in enumerate(steps)}
    default = draw(st.sampled_from(sorted(shares)))
    return shares, default


def test_total_steps() -> None:
    assert TOTAL_STEPS == 10_000


@pytest.mark.parametrize(("percent", "steps"), [(0, 0), (0.01, 1), (20, 2000), (33.33, 3333), (100, 10_000), (0.29, 29)])
def test_to_steps(percent: float, steps: int) -> None:
    assert to_steps(percent) == steps


def test_seed_example_first_version_alone_gets_everything() -> None:
    # versiona takes 20% and is the default: the other 80% go to it as well.
    assert effective_traffic({"versiona": 20}, "versiona") == {"versiona": 100.0}


def test_seed_example_second_version_takes_ten_percent() -> None:
    assert effective_traffic({"versiona": 20, "versionb": 10}, "versiona") == {"versiona": 90.0, "versionb": 10.0}


def test_seed_example_second_version_raised_and_made_default() -> None:
    assert effective_traffic({"versiona": 20, "versionb": 40}, "versionb") == {"versiona": 20.0, "versionb": 80.0}


def test_seed_example_test_and_prod_remainder() -> None:
    # 'test' 10% and 'prod' 30%: the remaining 60% go to the default.
    assert effective_traffic({"default": 0, "test": 10, "prod": 30}, "default") == {
        "default": 60.0,
        "test": 10.0,
        "prod": 30.0,
    }


def test_thirds_sum_to_exactly_100_in_steps() -> None:
    steps = effective_steps({"a": 33.33, "b": 33.33, "c": 33.34}, "a")
    assert steps == {"a": 3333, "b": 3333, "c": 3334}
    assert sum(steps.values()) == TOTAL_STEPS


def test_exactly_100_leaves_nothing_for_the_default() -> None:
    assert effective_traffic({"a": 0, "b": 100}, "a") == {"a": 0.0, "b": 100.0}


def test_shares_over_100_are_rejected_with_the_sum() -> None:
    with pytest.raises(ValueError, match=r"traffic_percentile values sum to 100\.01, more than 100"):
        effective_steps({"a": 50, "b": 50.01}, "a")


def test_unknown_default_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"default version 'c' is not one of \['a', 'b'\]"):
        effective_traffic({"a": 10, "b": 20}, "c")


def test_inputs_are_not_mutated() -> None:
    shares = {"a": 10.0, "b": 20.0}
    effective_traffic(shares, "a")
    assert shares == {"a": 10.0, "b": 20.0}


@settings(max_examples=150, deadline=None)
@given(case=shares_and_default())
def test_effective_traffic_properties(case: tuple[dict[str, float], str]) -> None:
    shares, default = case
    steps = effective_steps(shares, default)
    traffic = effective_traffic(shares, default)

    assert list(steps) == list(shares) == list(traffic)
    # Sums to exactly 100% (in the router's integer 0.01% steps).
    assert sum(steps.values()) == TOTAL_STEPS
    assert sum(to_steps(p) for p in traffic.values()) == TOTAL_STEPS
    assert sum(traffic.values()) == pytest.approx(100.0, abs=1e-9)
    remainder = TOTAL_STEPS - sum(to_steps(p) for p in shares.values())
    for name, share in shares.items():
        assert traffic[name] == steps[name] / 100
        if name == default:
            assert steps[name] == to_steps(share) + remainder
        else:
            # Non-default versions keep exactly their configured share.
            assert traffic[name] == share
            assert steps[name] == to_steps(share)
    assert all(0 <= s <= TOTAL_STEPS for s in steps.values())


@settings(max_examples=60, deadline=None)
@given(case=shares_and_default(), extra=st.integers(min_value=1, max_value=TOTAL_STEPS))
def test_shares_over_100_always_rejected(case: tuple[dict[str, float], str], extra: int) -> None:
    shares, default = case
    total = sum(to_steps(p) for p in shares.values())
    shares = {**shares, "overflow": (TOTAL_STEPS - total + extra) / 100}
    with pytest.raises(ValueError, match=rf"sum to {(TOTAL_STEPS + extra) / 100:g}, more than 100"):
        effective_steps(shares, default)
