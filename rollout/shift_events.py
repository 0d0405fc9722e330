"""What a running traffic shift reports, as typed events, so a progress bar and a status view can
follow it without parsing text.

Every event carries `elapsed_seconds` since the shift started (on the engine's clock). Steps are
numbered from 1 (`step` of `step_count`); a bake is a step's own bake (`phase="step"`) or the
termination wait after the last step (`phase="termination"`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Union

from rollout.alarm_readings import AlarmReading
from specification.routing import RoutingTable

__all__ = [
    "BakeFinished",
    "BakePhase",
    "BakeProgress",
    "EventSink",
    "RolledBack",
    "RollingBack",
    "RoutersCaughtUp",
    "RoutersPending",
    "ShiftCompleted",
    "ShiftEvent",
    "StepApplied",
]

BakePhase = Literal["step", "termination"]


@dataclass(frozen=True)
class StepApplied:
    """Step `step`'s table was written to the routers as `revision`."""

    step: int
    step_count: int
    revision: int
    table: RoutingTable
    percent_of_change: float
    elapsed_seconds: float


@dataclass(frozen=True)
class RoutersPending:
    """Not every router reports `revision` yet: what each one reports (None: no answer). Sent
    when the reports change, not on every poll; `error` is a failed poll's error."""

    revision: int
    reported: tuple[int | None, ...]
    elapsed_seconds: float
    error: str | None = None


@dataclass(frozen=True)
class RoutersCaughtUp:
    """Every one of `routers` live routers reports `revision`, after `waited_seconds`."""

    step: int
    step_count: int
    revision: int
    routers: int
    waited_seconds: float
    elapsed_seconds: float


@dataclass(frozen=True)
class BakeProgress:
    """A tick of a bake: how long it has baked of `bake_seconds`, and the alarms read at this
    tick (empty without alarms). Readings that cannot be judged say why in their `detail`."""

    step: int
    step_count: int
    phase: BakePhase
    baked_seconds: float
    bake_seconds: float
    readings: tuple[AlarmReading, ...]
    elapsed_seconds: float


@dataclass(frozen=True)
class BakeFinished:
    """A bake ended with no alarm breached."""

    step: int
    step_count: int
    phase: BakePhase
    baked_seconds: float
    elapsed_seconds: float


@dataclass(frozen=True)
class ShiftCompleted:
    """The new table is live on every router as `revision`, every bake passed."""

    revision: int
    steps_applied: int
    elapsed_seconds: float


@dataclass(frozen=True)
class RollingBack:
    """The shift failed (`reason`, the failure in one line); the starting table is being written
    as `revision`."""

    reason: str
    revision: int
    elapsed_seconds: float


@dataclass(frozen=True)
class RolledBack:
    """Every router reports the starting table's `revision` again."""

    revision: int
    waited_seconds: float
    elapsed_seconds: float


ShiftEvent = Union[
    StepApplied,
    RoutersPending,
    RoutersCaughtUp,
    BakeProgress,
    BakeFinished,
    ShiftCompleted,
    RollingBack,
    RolledBack,
]
EventSink = Callable[[ShiftEvent], None]
