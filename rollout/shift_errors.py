"""How a traffic shift fails: rolled back (the starting table is live again), or worse, with the
routers' state unknown because even the rollback could not be confirmed.

Both carry a `ShiftFailure`: why the shift stopped, at which step, and how much traffic had moved,
so `up`, `local apply` and a status view give one and the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from rollout.alarm_readings import AlarmReading

__all__ = [
    "FailureKind",
    "RollbackFailed",
    "ShiftFailed",
    "ShiftFailure",
    "ShiftPhase",
    "ShiftRolledBack",
]

# `prepare_failed`: the caller's `before_step` hook raised (e.g. the new pods a step needs did
# not start).
FailureKind = Literal[
    "alarm", "timeout", "unreadable_alarm", "apply_failed", "prepare_failed", "interrupted"
]
# What the shift was doing: writing a step's table, waiting for the routers to report it, baking
# after a step, or the termination wait.
ShiftPhase = Literal["apply", "catch_up", "step", "termination"]


def _percent(value: float) -> str:
    return f"{value:g}%"


@dataclass(frozen=True)
class ShiftFailure:
    """Why a shift stopped. `step` of `step_count` was the step whose table was last written
    (0: none yet); `moved` is `{version: (percent at the start, percent in that table)}` for the
    versions it changed, and `percent_of_change` that table's share of the whole change;
    `confirmed` says whether every router had reported that table. `reading` is the breaching
    (or unreadable) alarm's reading; `timeout_seconds` the deadline that passed."""

    kind: FailureKind
    cause: str
    step: int
    step_count: int
    phase: ShiftPhase
    percent_of_change: float = 0.0
    moved: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    confirmed: bool = False
    reading: AlarmReading | None = None
    timeout_seconds: float | None = None

    @property
    def where(self) -> str:
        """`at step 1 of 2`, `in the termination wait after step 2 of 2`, `before any step`."""
        if self.step == 0:
            return f"before step 1 of {self.step_count}"
        if self.phase == "termination":
            return f"in the termination wait after step {self.step} of {self.step_count}"
        return f"at step {self.step} of {self.step_count}"

    @property
    def traffic_moved(self) -> str:
        """`10% of the change had moved (versiona 100% -> 90%, versionb 0% -> 10%)`."""
        if self.step == 0 or not self.moved:
            return "no traffic had moved"
        versions = ", ".join(
            f"{name} {_percent(before)} -> {_percent(after)}"
            for name, (before, after) in self.moved.items()
        )
        verb = "had moved" if self.confirmed else "was moving (not every router had it)"
        return f"{_percent(self.percent_of_change)} of the change {verb} ({versions})"

    def describe(self) -> str:
        """The failure in one line, without what happened afterwards."""
        return f"{self.cause} {self.where}; {self.traffic_moved}"


class ShiftFailed(Exception):
    """A traffic shift did not complete; `failure` says why."""

    def __init__(self, message: str, failure: ShiftFailure) -> None:
        super().__init__(message)
        self.failure = failure


class ShiftRolledBack(ShiftFailed):
    """The shift failed and every router reports the starting table again, as `revision`."""

    def __init__(self, failure: ShiftFailure, revision: int) -> None:
        super().__init__(
            f"traffic shift rolled back: {failure.describe()}; the starting table is live again "
            f"on every router (revision {revision})",
            failure,
        )
        self.revision = revision


class RollbackFailed(ShiftFailed):
    """The shift failed and putting the starting table back could not be confirmed: the routers'
    state is unknown. `last_confirmed_revision` is the last revision every router reported
    during the shift (None: none of the shift's revisions was confirmed); `attempted_revision`
    the starting table's revision that was being written."""

    def __init__(
        self,
        failure: ShiftFailure,
        problem: str,
        attempted_revision: int,
        last_confirmed: tuple[int, str] | None,
        start_revision: int,
    ) -> None:
        if last_confirmed is None:
            confirmed = (
                "no revision of this shift was confirmed by every router (it started from "
                f"revision {start_revision})"
            )
        else:
            confirmed = (
                f"the last revision every router confirmed is {last_confirmed[0]} "
                f"({last_confirmed[1]})"
            )
        super().__init__(
            f"routers' state unknown: the shift failed ({failure.describe()}) and rolling back "
            f"failed: {problem}; {confirmed}. Check each router's GET /routing; the next change "
            "writes a complete table again",
            failure,
        )
        self.attempted_revision = attempted_revision
        self.last_confirmed_revision = None if last_confirmed is None else last_confirmed[0]
