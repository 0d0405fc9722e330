"""What a traffic shift's driver records for the endpoint's status: the shift in flight
(`ShiftProgress`) and how the last one failed (`LastFailure`), both with a JSON form.

A driver (`local apply` into the run record, a TrafficSplit) starts a record with
`ShiftProgress.begin`, feeds it every event of the step engine (`advance`; None once the shift is
over) and, when the engine raises, keeps `LastFailure.from_error` instead; it clears the failure
when a later change completes. A record left behind by a driver that was killed is the driver's
to turn into `LastFailure(outcome="failed")`: this module cannot know who is alive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from rollout.shift_errors import RollbackFailed, ShiftFailed, ShiftRolledBack
from rollout.shift_events import (
    BakeFinished,
    BakeProgress,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    ShiftCompleted,
    ShiftEvent,
    StepApplied,
)
from rollout.steps import PlannedStep
from specification.routing import RoutingTable

__all__ = ["FailureOutcome", "LastFailure", "ProgressPhase", "ShiftProgress"]

# apply: writing a step's table; catch_up: waiting for every router to report it; step: baking
# after a step; termination: the last bake; rolling_back: writing the starting table back.
ProgressPhase = Literal["apply", "catch_up", "step", "termination", "rolling_back"]
FailureOutcome = Literal["rolled_back", "rollback_failed", "failed"]


def _traffic(data: Any, what: str) -> dict[str, float]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} is not a map of version to percent")
    traffic: dict[str, float] = {}
    for name, percent in data.items():
        if isinstance(percent, bool) or not isinstance(percent, (int, float)):
            raise ValueError(f"{what}.{name} is not a number of percent: {percent!r}")
        traffic[str(name)] = float(percent)
    return traffic


def _time(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a timestamp: {text!r}")
    datetime.fromisoformat(text)  # ValueError names the text
    return text


def _optional_time(text: Any, what: str) -> str | None:
    return None if text is None else _time(text, what)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not a whole number: {value!r}")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} is not a number: {value!r}")
    return float(value)


@dataclass(frozen=True)
class ShiftProgress:
    """A shift in flight: step `step` of `step_count` (0 before the first is written) and its
    `phase`, from the `start` table to the `target` table (percent per version), begun at
    `started_at` (ISO 8601). `next_step_at` is when the next step is due, for the last step when
    the shift completes (None while routers catch up or while rolling back); `revision` the
    revision last written; `reason` why it is rolling back. `wait_seconds` (each step's bake)
    and `termination_wait_seconds` let `advance` compute `next_step_at`."""

    started_at: str
    step: int
    step_count: int
    phase: ProgressPhase
    start: Mapping[str, float]
    target: Mapping[str, float]
    percent_of_change: float = 0.0
    revision: int | None = None
    next_step_at: str | None = None
    reason: str | None = None
    wait_seconds: float = 0.0
    termination_wait_seconds: float = 0.0

    @classmethod
    def begin(
        cls,
        start: RoutingTable,
        steps: Sequence[PlannedStep],
        started_at: datetime,
        termination_wait_seconds: float = 0.0,
    ) -> ShiftProgress:
        """The record of a shift from `start` along the planned `steps`, begun at `started_at`
        (an aware datetime: the engine's elapsed seconds are added to it)."""
        if started_at.tzinfo is None:
            raise ValueError("started_at must carry its time zone")
        target = steps[-1].table.traffic if steps else start.traffic
        return cls(
            started_at=started_at.isoformat(timespec="milliseconds"),
            step=0,
            step_count=len(steps),
            phase="apply",
            start=start.traffic,
            target=target,
            wait_seconds=float(steps[0].wait_seconds) if steps else 0.0,
            termination_wait_seconds=float(termination_wait_seconds),
        )

    def _at(self, elapsed_seconds: float, later: float = 0.0) -> str:
        began = datetime.fromisoformat(self.started_at)
        return (began + timedelta(seconds=elapsed_seconds + later)).isoformat(
            timespec="milliseconds"
        )

    def _after_step(self, step: int) -> float:
        """What follows a step's bake: the termination wait after the last step."""
        return self.termination_wait_seconds if step >= self.step_count else 0.0

    def advance(self, event: ShiftEvent) -> ShiftProgress | None:
        """The record after `event`; None once the shift is over (completed or rolled back)."""
        if isinstance(event, (ShiftCompleted, RolledBack)):
            return None
        if isinstance(event, StepApplied):
            return replace(
                self,
                step=event.step,
                step_count=event.step_count,
                phase="catch_up",
                percent_of_change=event.percent_of_change,
                revision=event.revision,
                next_step_at=None,
            )
        if isinstance(event, RoutersCaughtUp):
            later = self.wait_seconds + self._after_step(event.step)
            return replace(self, phase="step", next_step_at=self._at(event.elapsed_seconds, later))
        if isinstance(event, BakeProgress):
            remaining = max(event.bake_seconds - event.baked_seconds, 0.0)
            if event.phase == "step":
                remaining += self._after_step(event.step)
            return replace(
                self, phase=event.phase, next_step_at=self._at(event.elapsed_seconds, remaining)
            )
        if isinstance(event, BakeFinished):
            later = self._after_step(event.step) if event.phase == "step" else 0.0
            return replace(self, next_step_at=self._at(event.elapsed_seconds, later))
        if isinstance(event, RollingBack):
            return replace(
                self,
                phase="rolling_back",
                reason=event.reason,
                revision=event.revision,
                next_step_at=None,
            )
        return self  # RoutersPending: still catching up

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "step": self.step,
            "step_count": self.step_count,
            "phase": self.phase,
            "start": dict(self.start),
            "target": dict(self.target),
            "percent_of_change": self.percent_of_change,
            "revision": self.revision,
            "next_step_at": self.next_step_at,
            "reason": self.reason,
            "wait_seconds": self.wait_seconds,
            "termination_wait_seconds": self.termination_wait_seconds,
        }

    @classmethod
    def from_json(cls, data: Any) -> ShiftProgress:
        """A record from its JSON form; ValueError naming the first field that is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a shift record is not a JSON object")
        try:
            phase = data["phase"]
            if phase not in get_args(ProgressPhase):
                known = ", ".join(get_args(ProgressPhase))
                raise ValueError(f"phase {phase!r} is not one of {known}")
            revision = data.get("revision")
            reason = data.get("reason")
            if reason is not None and not isinstance(reason, str):
                raise ValueError(f"reason is not text: {reason!r}")
            return cls(
                started_at=_time(data["started_at"], "started_at"),
                step=_int(data["step"], "step"),
                step_count=_int(data["step_count"], "step_count"),
                phase=phase,
                start=_traffic(data["start"], "start"),
                target=_traffic(data["target"], "target"),
                percent_of_change=_number(data.get("percent_of_change", 0.0), "percent_of_change"),
                revision=None if revision is None else _int(revision, "revision"),
                next_step_at=_optional_time(data.get("next_step_at"), "next_step_at"),
                reason=reason,
                wait_seconds=_number(data.get("wait_seconds", 0.0), "wait_seconds"),
                termination_wait_seconds=_number(
                    data.get("termination_wait_seconds", 0.0), "termination_wait_seconds"
                ),
            )
        except KeyError as missing:
            raise ValueError(f"a shift record lacks {missing.args[0]}") from None


@dataclass(frozen=True)
class LastFailure:
    """How the last shift failed, at `at` (ISO 8601): rolled back (the starting table is live
    again), rollback_failed (the routers' state is unknown) or failed (it stopped without a
    rollback, e.g. its driver was killed). `reason` is the failure's one message."""

    reason: str
    at: str
    outcome: FailureOutcome

    @classmethod
    def from_error(cls, error: ShiftFailed, at: datetime) -> LastFailure:
        """The record of what the step engine raised."""
        outcome: FailureOutcome
        if isinstance(error, RollbackFailed):
            outcome = "rollback_failed"
        elif isinstance(error, ShiftRolledBack):
            outcome = "rolled_back"
        else:
            outcome = "failed"
        return cls(str(error), at.isoformat(timespec="milliseconds"), outcome)

    def to_json(self) -> dict[str, str]:
        return {"reason": self.reason, "at": self.at, "outcome": self.outcome}

    @classmethod
    def from_json(cls, data: Any) -> LastFailure:
        if not isinstance(data, Mapping):
            raise ValueError("a failure record is not a JSON object")
        outcome: Any = data.get("outcome")
        reason = data.get("reason")
        if outcome not in get_args(FailureOutcome):
            known = ", ".join(get_args(FailureOutcome))
            raise ValueError(f"outcome {outcome!r} is not one of {known}")
        if not isinstance(reason, str) or not reason:
            raise ValueError("a failure record lacks its reason")
        return cls(reason, _time(data.get("at"), "at"), outcome)
