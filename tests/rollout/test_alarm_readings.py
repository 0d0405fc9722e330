"""Tests for rollout.alarm_readings: one reading of a router-metric or PromQL alarm, its state and
the line a failure message quotes."""

from __future__ import annotations

import math

import pytest

from rollout.alarm_readings import NO_P99, breaches, read_promql_alarm, read_router_alarm
from rollout.protocols import WindowStats
from specification.alarms import ComparisonOperator, PromQLAlarm, RouterMetricAlarm


class Stats:
    def __init__(self, answer: WindowStats | Exception) -> None:
        self.answer = answer

    def window(self, version: str, seconds: int, *, p99: bool = False) -> WindowStats:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Query:
    def __init__(self, answer: float | None | Exception) -> None:
        self.answer = answer

    def value(self, expression: str) -> float | None:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


ERRORS = RouterMetricAlarm(alarm_name="e", metric="5xx_ratio", threshold=0.1, min_requests=10)
LATENCY = RouterMetricAlarm.model_construct(alarm_name="l", metric="p99_latency_ms", threshold=300, min_requests=10)


@pytest.mark.parametrize(
    ("operator", "below", "equal", "above"),
    [
        ("GreaterThanThreshold", False, False, True),
        ("GreaterThanOrEqualToThreshold", False, True, True),
        ("LessThanThreshold", True, False, False),
        ("LessThanOrEqualToThreshold", True, True, False),
    ],
)
def test_breaches_by_operator(
    operator: ComparisonOperator, below: bool, equal: bool, above: bool
) -> None:
    assert [breaches(v, 5, operator) for v in (4.9, 5, 5.1)] == [below, equal, above]


def test_a_5xx_ratio_reading() -> None:
    ok = read_router_alarm(ERRORS, "v2", Stats(WindowStats(100, 10)))
    assert (ok.state, ok.value, ok.requests) == ("ok", 0.1, 100)  # at the threshold: not above
    assert ok.describe() == "5xx_ratio of v2 = 0.1 <= threshold 0.1 (100 requests in 60 s)"
    bad = read_router_alarm(ERRORS, "v2", Stats(WindowStats(100, 11)))
    assert bad.breached
    assert bad.describe() == "5xx_ratio of v2 = 0.11 > threshold 0.1 (100 requests in 60 s)"


def test_below_min_requests_is_not_judged() -> None:
    reading = read_router_alarm(ERRORS, "v2", Stats(WindowStats(9, 9)))
    assert (reading.state, reading.value, reading.requests) == ("not_enough_data", None, 9)
    assert "fewer than min_requests 10" in reading.describe()


def test_a_p99_reading_needs_a_latency() -> None:
    missing = read_router_alarm(LATENCY, "v2", Stats(WindowStats(1000, 0, None)))
    assert (missing.state, missing.detail) == ("not_enough_data", NO_P99)
    assert "no request times in the window" in missing.describe()
    slow = read_router_alarm(LATENCY, "v2", Stats(WindowStats(1000, 0, 301.5)))
    assert (slow.state, slow.value) == ("breach", 301.5)
    few = read_router_alarm(LATENCY, "v2", Stats(WindowStats(3, 0, 900.0)))
    assert few.state == "not_enough_data"


def test_a_reader_error_is_an_error_reading() -> None:
    reading = read_router_alarm(ERRORS, "v2", Stats(TimeoutError("scrape timed out")))
    assert reading.state == "error"
    assert "reading failed: TimeoutError: scrape timed out" in reading.describe()
    promql = PromQLAlarm(alarm_name="p", promql="up", threshold=1)
    assert read_promql_alarm(promql, Query(ConnectionResetError("reset"))).state == "error"


def test_a_promql_reading() -> None:
    alarm = PromQLAlarm(
        alarm_name="p", promql="min(up)", threshold=1, comparison_operator="LessThanThreshold"
    )
    down = read_promql_alarm(alarm, Query(0.0))
    assert down.breached and down.describe() == "min(up) = 0 < threshold 1"
    up = read_promql_alarm(alarm, Query(1.0))
    assert up.state == "ok" and up.describe() == "min(up) = 1 >= threshold 1"
    for nothing in (None, math.nan):
        reading = read_promql_alarm(alarm, Query(nothing))
        assert (reading.state, reading.value) == ("no_data", None)
        assert reading.describe() == "min(up): no value: the expression has no result, not judged"
