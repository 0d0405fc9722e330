"""Tests for specification.alarms: router metric and PromQL alarms, their limits with field paths,
and the rollback configuration's count and unique names."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from specification.alarms import (
    DEFAULT_MIN_REQUESTS,
    AutoRollbackConfiguration,
    PromQLAlarm,
    RouterMetricAlarm,
)
from specification.errors import format_validation_error

ROUTER = "alarms[0].router_metric_alarm"
PROMQL = "alarms[0].promql_alarm"


def _router_alarm(**fields: Any) -> dict[str, Any]:
    return {"alarm_name": "canary-errors", "metric": "5xx_ratio", "threshold": 0.01, **fields}


def _promql_alarm(**fields: Any) -> dict[str, Any]:
    return {"alarm_name": "business-errors", "promql": "sum(rate(errors_total[5m]))", "threshold": 5, **fields}


def _rollback(*alarms: dict[str, Any]) -> AutoRollbackConfiguration:
    return AutoRollbackConfiguration.model_validate({"alarms": list(alarms)})


def _problems(*alarms: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as error:
        _rollback(*alarms)
    return format_validation_error(error.value).splitlines()


def test_a_router_metric_alarm_with_defaults() -> None:
    rollback = _rollback(_router_alarm())
    assert rollback.alarms is not None
    (alarm,) = rollback.alarms
    assert isinstance(alarm, RouterMetricAlarm)
    assert (alarm.metric, alarm.threshold, alarm.window_seconds) == ("5xx_ratio", 0.01, 60)
    assert alarm.min_requests == DEFAULT_MIN_REQUESTS == 20


def test_a_promql_alarm_compares_greater_than_by_default() -> None:
    rollback = _rollback(_promql_alarm())
    assert rollback.alarms is not None
    (alarm,) = rollback.alarms
    assert isinstance(alarm, PromQLAlarm)
    assert alarm.comparison_operator == "GreaterThanThreshold"
    assert alarm.threshold == 5.0


def test_both_kinds_in_one_configuration_survive_a_round_trip() -> None:
    rollback = _rollback(_router_alarm(), _promql_alarm(comparison_operator="LessThanThreshold"))
    again = AutoRollbackConfiguration.model_validate(rollback.model_dump(mode="json"))
    assert again == rollback
    assert again.alarms is not None
    assert [type(alarm) for alarm in again.alarms] == [RouterMetricAlarm, PromQLAlarm]


# --- router metric alarms


@pytest.mark.parametrize("threshold", [-0.01, 1, 1.5])
def test_a_5xx_ratio_threshold_is_a_ratio_below_one(threshold: float) -> None:
    assert _problems(_router_alarm(threshold=threshold)) == [
        f"{ROUTER}.threshold: a 5xx_ratio threshold is a ratio from 0 up to but not including 1 "
        f"(0.01 = 1% errors), got {threshold:g}"
    ]


@pytest.mark.parametrize("threshold", [0, 0.5, 0.999])
def test_5xx_ratio_thresholds_from_zero(threshold: float) -> None:
    assert _rollback(_router_alarm(threshold=threshold)).alarms is not None


def test_a_latency_alarm_takes_milliseconds() -> None:
    rollback = _rollback(_router_alarm(metric="p99_latency_ms", threshold=250))
    assert rollback.alarms is not None
    (alarm,) = rollback.alarms
    assert isinstance(alarm, RouterMetricAlarm)
    assert (alarm.metric, alarm.threshold) == ("p99_latency_ms", 250.0)


@pytest.mark.parametrize("threshold", [0, -5])
def test_a_latency_threshold_is_positive(threshold: float) -> None:
    assert _problems(_router_alarm(metric="p99_latency_ms", threshold=threshold)) == [
        f"{ROUTER}.threshold: a p99_latency_ms threshold is a positive number of ms, got {threshold:g}"
    ]


@pytest.mark.parametrize("threshold", [float("nan"), float("inf")])
def test_thresholds_are_finite(threshold: float) -> None:
    (problem,) = _problems(_router_alarm(threshold=threshold))
    assert problem.startswith(f"{ROUTER}.threshold: Input should be a finite number")
    (problem,) = _problems(_promql_alarm(threshold=threshold))
    assert problem.startswith(f"{PROMQL}.threshold: Input should be a finite number")


def test_an_unknown_metric_is_refused() -> None:
    assert _problems(_router_alarm(metric="error_rate")) == [
        f"{ROUTER}.metric: Input should be '5xx_ratio' or 'p99_latency_ms' (got 'error_rate')"
    ]


def test_an_alarm_with_neither_metric_nor_promql_asks_for_a_metric() -> None:
    assert _problems({"alarm_name": "x", "threshold": 1}) == [f"{ROUTER}.metric: Field required"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window_seconds", 9, "Input should be greater than or equal to 10"),
        ("window_seconds", 3601, "Input should be less than or equal to 3600"),
        ("min_requests", 0, "Input should be greater than or equal to 1"),
    ],
)
def test_window_and_min_requests_limits(field: str, value: int, message: str) -> None:
    assert _problems(_router_alarm(**{field: value})) == [f"{ROUTER}.{field}: {message} (got {value})"]


def test_a_router_alarm_takes_no_comparison() -> None:
    assert _problems(_router_alarm(comparison_operator="LessThanThreshold")) == [
        f"{ROUTER}.comparison_operator: Extra inputs are not permitted (got 'LessThanThreshold')"
    ]


# --- PromQL alarms


def test_an_alarm_cannot_be_both_kinds() -> None:
    assert _problems(_promql_alarm(metric="5xx_ratio")) == [
        f"{PROMQL}.metric: Extra inputs are not permitted (got '5xx_ratio')"
    ]


@pytest.mark.parametrize(
    ("promql", "message"),
    [
        ("", "String should have at least 1 character"),
        ("   ", "a PromQL expression cannot be blank"),
        ("up\x00", "a PromQL expression cannot contain control characters"),
        ("x" * 4097, "String should have at most 4096 characters"),
    ],
)
def test_promql_is_one_plain_expression(promql: str, message: str) -> None:
    (problem,) = _problems(_promql_alarm(promql=promql))
    assert problem.startswith(f"{PROMQL}.promql: {message}")


def test_promql_may_span_lines() -> None:
    rollback = _rollback(_promql_alarm(promql="sum(rate(errors_total[5m]))\n  / sum(rate(requests_total[5m]))"))
    assert rollback.alarms is not None


def test_an_unknown_comparison_is_refused() -> None:
    (problem,) = _problems(_promql_alarm(comparison_operator=">"))
    assert problem.startswith(f"{PROMQL}.comparison_operator: Input should be 'GreaterThanThreshold'")


# --- names and count


@pytest.mark.parametrize("name", ["", "1st", "-a", "a-", "a b", "a.b", "x" * 65, "canary;drop"])
def test_alarm_names_follow_a_strict_pattern(name: str) -> None:
    (problem,) = _problems(_router_alarm(alarm_name=name))
    assert problem.startswith(f"{ROUTER}.alarm_name: {name!r} is not a valid alarm name")


@pytest.mark.parametrize("name", ["a", "Canary_5xx-Alarm", "x" * 64])
def test_valid_alarm_names(name: str) -> None:
    assert _rollback(_router_alarm(alarm_name=name)).alarms is not None


def test_alarm_names_are_unique() -> None:
    alarms = [_router_alarm(), _promql_alarm(alarm_name="canary-errors")]
    alarms += [_router_alarm(alarm_name="b"), _router_alarm(alarm_name="b")]
    assert _problems(*alarms) == [
        "alarms: alarm names must be unique; repeated: b, canary-errors"
    ]


def test_one_to_ten_alarms_when_given() -> None:
    ten = [_router_alarm(alarm_name=f"a{i}") for i in range(10)]
    assert len(_rollback(*ten).alarms or []) == 10
    (problem,) = _problems(*ten, _router_alarm(alarm_name="a10"))
    assert problem.startswith("alarms: List should have at most 10 items after validation, not 11")
    (problem,) = _problems()
    assert problem.startswith("alarms: List should have at least 1 item after validation, not 0")
    assert AutoRollbackConfiguration().alarms is None
