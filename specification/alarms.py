"""Alarms that roll a guarded traffic shift back: seed 004's `auto_rollback_configuration`.

SageMaker names CloudWatch alarms; here an alarm says what it watches, so it can be checked at
preview and evaluated without a cloud: either the router's own per-version series (the 5xx ratio
or the p99 latency of a version gaining share) or a PromQL expression against the endpoint's
Prometheus. Every limit is a field rule here, so a bad alarm fails at preview with its path.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "ALARM_NAME_PATTERN",
    "DEFAULT_MIN_REQUESTS",
    "DEFAULT_WINDOW_SECONDS",
    "MAX_ALARMS",
    "Alarm",
    "AlarmName",
    "AnyAlarm",
    "AutoRollbackConfiguration",
    "ComparisonOperator",
    "PromQLAlarm",
    "RouterMetric",
    "RouterMetricAlarm",
]

MAX_ALARMS = 10  # the seed's limit on a rollback configuration's alarms
DEFAULT_WINDOW_SECONDS = 60
# Below this many requests in the window a version is not judged: three requests, one of them an
# error, are not a 33% error rate worth a rollback.
DEFAULT_MIN_REQUESTS = 20
# Alarm names reach failure messages, status conditions and metric labels: keep them plain.
ALARM_NAME_PATTERN = re.compile(r"^[A-Za-z](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

RouterMetric = Literal["5xx_ratio", "p99_latency_ms"]
ComparisonOperator = Literal[
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]


def _check_alarm_name(value: str) -> str:
    if not ALARM_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid alarm name: use 1-64 letters, digits, '-' and '_', "
            "starting with a letter and ending with a letter or digit (pattern "
            f"{ALARM_NAME_PATTERN.pattern})"
        )
    return value


AlarmName = Annotated[str, AfterValidator(_check_alarm_name)]

_ALARM_NAME_DESCRIPTION = (
    "The alarm's name (the seed's `alarm_name`), unique within the endpoint: 1-64 letters, "
    "digits, '-' and '_', starting with a letter. A rollback's failure message names it."
)


class RouterMetricAlarm(BaseModel):
    """An alarm on the router's own per-version series, for each version gaining share in a shift."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    alarm_name: AlarmName = Field(description=_ALARM_NAME_DESCRIPTION)
    metric: RouterMetric = Field(
        description="What the router measures per version: `5xx_ratio` (responses with a 5xx "
        "status / all responses) or `p99_latency_ms` (the 99th percentile of the requests' total "
        "time in the router, from the first byte received to the last byte sent, in ms: queueing "
        "and scoring included; measured by the routing agent from HAProxy's request log, at most "
        "5% above the true value). The alarm breaches when the value is above `threshold`."
    )
    threshold: float = Field(
        description="Breach when the metric is above this: for `5xx_ratio` from 0 up to but not "
        "including 1 (0.01 = 1% errors; a ratio never exceeds 1); for `p99_latency_ms` a "
        "positive number of milliseconds."
    )
    window_seconds: int = Field(
        default=DEFAULT_WINDOW_SECONDS,
        ge=10,
        le=3600,
        description="The trailing window the metric is computed over, 10-3600 seconds.",
    )
    min_requests: int = Field(
        default=DEFAULT_MIN_REQUESTS,
        ge=1,
        description="Fewest requests a version must have served in the window to be judged; "
        "below it the alarm does not breach, so a canary is not judged on three requests.",
    )

    @field_validator("threshold")
    @classmethod
    def _threshold_fits_the_metric(cls, value: float, info: ValidationInfo) -> float:
        metric = info.data.get("metric")
        if metric == "5xx_ratio" and not 0 <= value < 1:
            raise ValueError(
                f"a 5xx_ratio threshold is a ratio from 0 up to but not including 1 (0.01 = 1% "
                f"errors), got {value:g}"
            )
        if metric == "p99_latency_ms" and not value > 0:
            raise ValueError(f"a p99_latency_ms threshold is a positive number of ms, got {value:g}")
        return value


class PromQLAlarm(BaseModel):
    """An alarm on a PromQL expression, queried from the endpoint's `prometheus_url`."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    alarm_name: AlarmName = Field(description=_ALARM_NAME_DESCRIPTION)
    promql: str = Field(
        min_length=1,
        max_length=4096,
        description="A PromQL expression giving one value (an instant query at each check), "
        "e.g. `sum(rate(my_business_errors_total[5m]))`. Needs the endpoint's `prometheus_url`.",
    )
    threshold: float = Field(description="The value the expression is compared with.")
    comparison_operator: ComparisonOperator = Field(
        default="GreaterThanThreshold",
        description="CloudWatch's comparison names: the alarm breaches when the value is "
        "greater than (the default), greater than or equal to, less than, or less than or "
        "equal to `threshold`.",
    )

    @field_validator("promql")
    @classmethod
    def _one_plain_expression(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a PromQL expression cannot be blank")
        if _CONTROL_CHARACTERS.search(value):
            raise ValueError("a PromQL expression cannot contain control characters")
        return value


def _alarm_kind(value: Any) -> str:
    """Which alarm an entry is: one that names `promql` is a PromQL alarm, any other a router metric alarm."""
    if isinstance(value, dict):
        return "promql_alarm" if "promql" in value else "router_metric_alarm"
    return "promql_alarm" if isinstance(value, PromQLAlarm) else "router_metric_alarm"


# A validated alarm, for annotations and dispatch; `Alarm` is how a config entry becomes one.
AnyAlarm = Union[RouterMetricAlarm, PromQLAlarm]
Alarm = Annotated[
    Union[
        Annotated[RouterMetricAlarm, Tag("router_metric_alarm")],
        Annotated[PromQLAlarm, Tag("promql_alarm")],
    ],
    Discriminator(_alarm_kind),
]


class AutoRollbackConfiguration(BaseModel):
    """Alarms that roll a shift back: any alarm breaching during a bake puts the starting table back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alarms: list[Alarm] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ALARMS,
        description=f"1-{MAX_ALARMS} alarms with unique names, each a router metric alarm "
        "(`metric`) or a PromQL alarm (`promql`). Unset: no automatic rollback.",
    )

    @field_validator("alarms")
    @classmethod
    def _unique_names(cls, value: list[AnyAlarm] | None) -> list[AnyAlarm] | None:
        if value is None:
            return value
        counts = Counter(alarm.alarm_name for alarm in value)
        repeated = sorted(name for name, count in counts.items() if count > 1)
        if repeated:
            raise ValueError(f"alarm names must be unique; repeated: {', '.join(repeated)}")
        return value
