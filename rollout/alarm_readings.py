"""One reading of one rollback alarm: its value, and whether it breaches, cannot be judged yet, or
could not be read.

A router-metric alarm is read per version gaining share: below `min_requests` responses in its
window it is not judged (a canary is not rolled back on three requests), and a `p99_latency_ms`
alarm without request times (none in the window, or a stats source that has none) is never a
breach but says so in its reading. A PromQL alarm compares the expression's value with its
threshold by its comparison operator; no result is no data, never a breach. A reader that raises
gives an `error` reading; the engine decides how many of those in a row end a shift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from rollout.protocols import PromQuery, VersionStats
from specification.alarms import ComparisonOperator, PromQLAlarm, RouterMetricAlarm

__all__ = ["AlarmReading", "ReadingState", "breaches", "read_promql_alarm", "read_router_alarm"]

ReadingState = Literal["ok", "breach", "not_enough_data", "no_data", "error"]

_SYMBOLS: dict[ComparisonOperator, str] = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}
_NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}

NO_P99 = (
    "no request times in the window from the routers' agents (no timed request, or a stats "
    "source without request times), so this alarm is not judged"
)


def breaches(value: float, threshold: float, operator: ComparisonOperator) -> bool:
    """Whether `value` breaches `threshold` under CloudWatch's comparison `operator`."""
    if operator == "GreaterThanThreshold":
        return value > threshold
    if operator == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if operator == "LessThanThreshold":
        return value < threshold
    return value <= threshold


@dataclass(frozen=True)
class AlarmReading:
    """An alarm read once. `version` is the version a router-metric alarm was read for (None for
    a PromQL alarm); `subject` is what was measured (`5xx_ratio`, `p99_latency_ms` or the PromQL
    expression); `requests` is the responses in the window (router-metric alarms only)."""

    alarm_name: str
    state: ReadingState
    subject: str
    threshold: float
    operator: ComparisonOperator
    value: float | None = None
    version: str | None = None
    requests: int | None = None
    window_seconds: int | None = None
    detail: str = ""

    @property
    def breached(self) -> bool:
        return self.state == "breach"

    def describe(self) -> str:
        """One line: `5xx_ratio of versionb = 0.5 > threshold 0.05 (40 requests in 60 s)`."""
        measured = f"{self.subject} of {self.version}" if self.version else self.subject
        symbol = _SYMBOLS[self.operator]
        if self.value is None:
            text = f"{measured}: no value"
        else:
            compared = symbol if self.state == "breach" else _NEGATED[symbol]
            text = f"{measured} = {self.value:.6g} {compared} threshold {self.threshold:g}"
        if self.requests is not None:
            text += f" ({self.requests} requests in {self.window_seconds} s)"
        if self.detail:
            text += f": {self.detail}"
        return text


def _reader_error(error: Exception) -> str:
    return f"reading failed: {type(error).__name__}: {error}"


def read_router_alarm(alarm: RouterMetricAlarm, version: str, stats: VersionStats) -> AlarmReading:
    """`alarm` read for `version` over its window from `stats`."""
    reading = AlarmReading(
        alarm_name=alarm.alarm_name,
        state="error",
        subject=alarm.metric,
        threshold=alarm.threshold,
        operator="GreaterThanThreshold",
        version=version,
        window_seconds=alarm.window_seconds,
    )
    try:
        window = stats.window(
            version, alarm.window_seconds, p99=alarm.metric == "p99_latency_ms"
        )
    except Exception as error:  # any reader failure is a reading, counted by the engine
        return replace(reading, detail=_reader_error(error))
    reading = replace(reading, requests=window.requests)
    if alarm.metric == "p99_latency_ms" and window.p99_ms is None:
        return replace(reading, state="not_enough_data", detail=NO_P99)
    if window.requests < alarm.min_requests:
        return replace(
            reading,
            state="not_enough_data",
            detail=f"fewer than min_requests {alarm.min_requests}, not judged",
        )
    if alarm.metric == "p99_latency_ms":
        assert window.p99_ms is not None
        value = window.p99_ms
    else:
        value = window.errors_5xx / window.requests
    state: ReadingState = "breach" if breaches(value, alarm.threshold, reading.operator) else "ok"
    return replace(reading, state=state, value=value)


def read_promql_alarm(alarm: PromQLAlarm, query: PromQuery) -> AlarmReading:
    """`alarm`'s expression read now from `query` and compared with its threshold."""
    reading = AlarmReading(
        alarm_name=alarm.alarm_name,
        state="error",
        subject=alarm.promql,
        threshold=alarm.threshold,
        operator=alarm.comparison_operator,
    )
    try:
        value = query.value(alarm.promql)
    except Exception as error:  # any reader failure is a reading, counted by the engine
        return replace(reading, detail=_reader_error(error))
    if value is None or math.isnan(value):
        return replace(reading, state="no_data", detail="the expression has no result, not judged")
    state: ReadingState = "breach" if breaches(value, alarm.threshold, reading.operator) else "ok"
    return replace(reading, state=state, value=value)

