"""Per-version request-time histograms: buckets, windows over seconds, bounded history."""

from __future__ import annotations

import math

import pytest

from router_agent.latency_windows import (
    BUCKET_BOUNDS,
    EXACT_UP_TO_MS,
    GROWTH,
    LatencyWindows,
    bucket_index,
)


class FakeClock:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_bounds_are_exact_then_grow_by_at_most_five_percent() -> None:
    assert BUCKET_BOUNDS[: EXACT_UP_TO_MS + 1] == tuple(range(EXACT_UP_TO_MS + 1))
    for lower, upper in zip(BUCKET_BOUNDS[EXACT_UP_TO_MS:], BUCKET_BOUNDS[EXACT_UP_TO_MS + 1 :]):
        assert lower < upper <= math.ceil(lower * GROWTH)


@pytest.mark.parametrize("ms", [0, 1, 19, 20, 21, 22, 250, 251, 999, 12_345, 3_000_000])
def test_a_time_falls_in_the_first_bucket_that_holds_it(ms: int) -> None:
    index = bucket_index(ms)
    assert BUCKET_BOUNDS[index] >= ms
    assert index == 0 or BUCKET_BOUNDS[index - 1] < ms


def test_times_beyond_the_last_bound_overflow_and_report_no_bound() -> None:
    clock = FakeClock()
    windows = LatencyWindows(clock)
    windows.record("v1", BUCKET_BOUNDS[-1] + 1)
    assert windows.window(10)["versions"]["v1"]["buckets"] == [[None, 1]]


def test_a_window_sums_its_seconds_per_version() -> None:
    clock = FakeClock()
    windows = LatencyWindows(clock)
    for ms in (5, 5, 300):
        windows.record("v1", ms)
    windows.record("v2", 40)
    clock.value += 5
    windows.record("v1", 5)
    answer = windows.window(10)
    assert answer["window_seconds"] == 10
    upper_300, upper_40 = BUCKET_BOUNDS[bucket_index(300)], BUCKET_BOUNDS[bucket_index(40)]
    assert 300 <= upper_300 <= 315 and 40 <= upper_40 <= 42
    assert answer["versions"] == {
        "v1": {"requests": 4, "buckets": [[5, 3], [upper_300, 1]]},
        "v2": {"requests": 1, "buckets": [[upper_40, 1]]},
    }
    # five seconds later the first second is outside a 5 s window (the current second counts)
    assert windows.window(5)["versions"] == {"v1": {"requests": 1, "buckets": [[5, 1]]}}


def test_history_older_than_the_longest_window_is_dropped() -> None:
    clock = FakeClock()
    windows = LatencyWindows(clock, keep_seconds=60)
    windows.record("v1", 10)
    clock.value += 61
    windows.record("v1", 20)
    assert windows.window(3600)["versions"]["v1"] == {"requests": 1, "buckets": [[20, 1]]}
    assert len(windows._seconds) == 1  # the old second's array is gone, not only skipped


def test_no_request_no_version() -> None:
    assert LatencyWindows(FakeClock()).window(60) == {"window_seconds": 60, "versions": {}}
