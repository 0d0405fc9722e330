"""The TrafficSplit's shift settings as input types: its alarms keyed by name, and secret text.

Alarms are keyed by their names (`alarms: {canary-5xx: {metric: 5xx_ratio, threshold: 0.01}}`),
so the engine's input diff reads `~ alarms: { ~ canary-5xx: { ~ threshold: 0.01 => 0.02 } }`;
each entry is the spec's alarm without its name, validated by the spec's own models. The cluster
credentials are plain text whose errors never echo the value (a kubeconfig may hold a token).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator, ValidationError

from specification.alarms import AlarmName, AnyAlarm, AutoRollbackConfiguration

__all__ = ["ShiftAlarms", "SecretText", "alarm_inputs", "rollback_alarms"]


def _alarm_list(alarms: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**fields, "alarm_name": name} for name, fields in alarms.items()]


def _describe(error: ValidationError, names: Sequence[str]) -> str:
    """pydantic's errors about `AutoRollbackConfiguration.alarms`, each named by its alarm."""
    problems = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        where = "alarms"
        if len(loc) >= 2 and isinstance(loc[1], int) and loc[1] < len(names):
            # ("alarms", index, "<union tag>", field...): the tag says which alarm kind was tried
            fields = [str(part) for part in loc[3:]]
            where = f"alarm {names[loc[1]]!r}" + (f" {'.'.join(fields)}" if fields else "")
        problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def _check_alarms(value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Validate each entry as the spec's alarm named by its key; return them normalised."""
    if not value:
        return value
    try:
        config = AutoRollbackConfiguration.model_validate({"alarms": _alarm_list(value)})
    except ValidationError as error:
        raise ValueError(_describe(error, list(value))) from None
    return alarm_inputs(config.alarms or [])


def _text(value: Any) -> str:
    if not isinstance(value, str):
        # never echo the value: it may be a kubeconfig with a token in it
        raise ValueError(f"must be text, got a {type(value).__name__}")
    return value


ShiftAlarms = Annotated[dict[AlarmName, dict[str, Any]], AfterValidator(_check_alarms)]
SecretText = Annotated[str, PlainValidator(_text)]


def alarm_inputs(alarms: Sequence[AnyAlarm]) -> dict[str, dict[str, Any]]:
    """The spec's alarms as a TrafficSplit input: `{alarm_name: the alarm's other fields}`."""
    return {
        alarm.alarm_name: alarm.model_dump(mode="json", exclude={"alarm_name"}, exclude_none=True)
        for alarm in alarms
    }


def rollback_alarms(alarms: Mapping[str, Mapping[str, Any]] | None) -> list[AnyAlarm]:
    """The spec's alarms back from a (validated) `alarms` input, in the input's order."""
    if not alarms:
        return []
    config = AutoRollbackConfiguration.model_validate({"alarms": _alarm_list(alarms)})
    return list(config.alarms or [])
