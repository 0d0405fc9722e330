"""The step engine of a guarded traffic shift: walk the planned steps, bake, roll back on a breach.

For each planned step the engine writes the step's complete table to every live router with the
next revision, waits until every router reports that revision (a router answering None or an
older revision holds the step; the wait counts toward the execution timeout, never toward the
bake), then bakes for the step's wait interval, reading the alarms every `check_interval_seconds`
on the versions gaining share in that step. After the last step it bakes once more for the
termination wait, on the versions the whole shift gave share to.

A caller may prepare each step before its table is written (`before_step`: a blue/green
replacement starts the new pods the step's share needs); the time it takes counts toward the
execution timeout, and a hook that raises fails the shift like a breach.

On a breach, an alarm that cannot be read `max_consecutive_read_errors` times in a row, a failed
write, a failed `before_step`, the maximum execution timeout, or anything else that stops it (an
interrupt, an event sink that raises), the engine writes the starting table again with a new
revision, waits until every router reports it and raises `ShiftRolledBack`. Every table it writes
is complete, so routers never serve a mix; if even the rollback cannot be confirmed it raises
`RollbackFailed`, naming the last revision every router confirmed. The engine takes plain numbers
(`ShiftPolicy`), so a test can drive it with limits below the spec's minimums;
`ShiftPolicy.from_spec` maps the spec's policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from rollout.alarm_readings import AlarmReading, read_promql_alarm, read_router_alarm
from rollout.protocols import Clock, PromQuery, RouterControl, VersionStats
from rollout.shift_errors import (
    FailureKind,
    RollbackFailed,
    ShiftFailure,
    ShiftPhase,
    ShiftRolledBack,
)
from rollout.shift_events import (
    BakeFinished,
    BakePhase,
    BakeProgress,
    EventSink,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    RoutersPending,
    ShiftCompleted,
    ShiftEvent,
    StepApplied,
)
from rollout.steps import PlannedStep
from specification.alarms import AnyAlarm, PromQLAlarm, RouterMetricAlarm
from specification.deployment_config import MIN_EXECUTION_TIMEOUT_SECONDS, BlueGreenUpdatePolicy
from specification.routing import RoutingTable

__all__ = ["BeforeStep", "ShiftPolicy", "ShiftResult", "StepTiming", "run_shift"]

# Called with (k, step) before step k's table is written, k from 0.
BeforeStep = Callable[[int, PlannedStep], None]


@dataclass(frozen=True)
class ShiftPolicy:
    """The engine's limits in seconds. The bake after each step is the planned step's own
    `wait_seconds`; this holds the rest.

    - `termination_wait_seconds`: the last bake, after the final step.
    - `max_execution_seconds`: from the shift's start; passing it rolls the shift back. Without a
      spec policy a change still gets a deadline for the routers to report it: the seed's minimum.
    - `check_interval_seconds`: how often alarms are read during a bake.
    - `poll_interval_seconds`: how often the routers' revisions are read while waiting for them.
    - `rollback_timeout_seconds`: how long the routers get to report the starting table again.
    - `max_consecutive_read_errors`: an alarm that cannot be read this many times in a row ends
      the shift (Argo Rollouts' `consecutiveErrorLimit` default), so a dead metrics source never
      lets a shift through unguarded.
    """

    termination_wait_seconds: float = 0
    max_execution_seconds: float = MIN_EXECUTION_TIMEOUT_SECONDS
    check_interval_seconds: float = 5.0
    poll_interval_seconds: float = 0.5
    rollback_timeout_seconds: float = 300.0
    max_consecutive_read_errors: int = 4

    def __post_init__(self) -> None:
        for name in ("check_interval_seconds", "poll_interval_seconds", "max_execution_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be above 0, got {getattr(self, name)}")
        if self.termination_wait_seconds < 0 or self.rollback_timeout_seconds < 0:
            raise ValueError(
                "termination_wait_seconds and rollback_timeout_seconds cannot be negative"
            )
        if self.max_consecutive_read_errors < 1:
            raise ValueError("max_consecutive_read_errors must be at least 1")

    @classmethod
    def from_spec(cls, policy: BlueGreenUpdatePolicy | None, **overrides: float) -> ShiftPolicy:
        """The limits of a spec policy (None: no termination wait, the default deadline)."""
        if policy is None:
            return cls(**overrides)  # type: ignore[arg-type]
        limits = {
            "termination_wait_seconds": policy.termination_wait_in_seconds,
            "max_execution_seconds": policy.maximum_execution_timeout_in_seconds,
            **overrides,
        }
        return cls(**limits)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StepTiming:
    """How long a step took: until every router reported it, and its bake."""

    step: int
    revision: int
    catch_up_seconds: float
    bake_seconds: float


@dataclass(frozen=True)
class ShiftResult:
    """A completed shift: the revision every router reports (the new table's), the steps applied
    and how long each phase took."""

    revision: int
    steps_applied: int
    duration_seconds: float
    steps: tuple[StepTiming, ...]
    termination_wait_seconds: float


class _Abort(Exception):
    """Ends the forward walk; carries the failure to the rollback."""

    def __init__(self, failure: ShiftFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class _NotCaughtUp(Exception):
    def __init__(self, reported: tuple[int | None, ...], error: str | None) -> None:
        super().__init__()
        self.reported = reported
        self.error = error

    def describe(self, revision: int) -> str:
        reports = ", ".join("no answer" if r is None else str(r) for r in self.reported)
        text = (
            f"waiting for every router to report revision {revision} "
            f"(reported: {reports or 'no router'})"
        )
        if self.error:
            text += f"; last poll failed: {self.error}"
        return text


def _original(cause: BaseException) -> BaseException | None:
    """What a rollback is chained to: the error behind an abort (a failed write), or the
    unexpected error itself; an alarm or a timeout has none."""
    return cause.__cause__ if isinstance(cause, _Abort) else cause


def _gaining(before: RoutingTable, after: RoutingTable) -> list[str]:
    return [name for name, steps in after.steps.items() if steps > before.steps.get(name, 0)]


class _Shift:
    """One run of `run_shift`: its state (revisions written and confirmed, the current step)."""

    def __init__(
        self,
        start: RoutingTable,
        steps: Sequence[PlannedStep],
        start_revision: int,
        routers: RouterControl,
        clock: Clock,
        policy: ShiftPolicy,
        alarms: Sequence[AnyAlarm],
        stats: VersionStats | None,
        prom: PromQuery | None,
        on_event: EventSink | None,
        before_step: BeforeStep | None = None,
    ) -> None:
        self.start = start
        self.before_step = before_step
        self.steps = list(steps)
        self.start_revision = start_revision
        self.routers = routers
        self.clock = clock
        self.policy = policy
        self.router_alarms = [a for a in alarms if isinstance(a, RouterMetricAlarm)]
        self.promql_alarms = [a for a in alarms if isinstance(a, PromQLAlarm)]
        self.stats = stats
        self.prom = prom
        self.on_event = on_event
        self.sink_broken = False
        self.rolling_back = False
        self.began = clock.now()
        self.deadline = self.began + policy.max_execution_seconds
        self.written = start_revision
        self.confirmed: tuple[int, str] | None = None
        self.step = 0  # the step whose table was last written
        self.step_confirmed = False
        self.phase: ShiftPhase = "apply"
        self.read_errors: dict[tuple[str, str | None], int] = {}

    # --------------------------------------------------------------------------- plumbing

    def elapsed(self) -> float:
        return self.clock.now() - self.began

    def emit(self, event: ShiftEvent, outcome: bool = False) -> None:
        """Send `event`. A sink that raises during the walk ends it (rolled back) and is not called
        again; during a rollback, or for the `outcome` event of a completed shift, its error is
        swallowed, so a broken progress bar can neither stop a rollback nor fail a shift that
        completed."""
        if self.on_event is None or self.sink_broken:
            return
        try:
            self.on_event(event)
        except Exception:
            self.sink_broken = True
            if not (outcome or self.rolling_back):
                raise

    def failure(
        self,
        kind: FailureKind,
        cause: str,
        reading: AlarmReading | None = None,
        timeout_seconds: float | None = None,
    ) -> ShiftFailure:
        """The failure `cause` at the current step and phase, with the traffic it had moved."""
        step = self.steps[self.step - 1] if self.step else None
        moved: dict[str, tuple[float, float]] = {}
        if step is not None:
            before, after = self.start.traffic, step.table.traffic
            for name in sorted(set(before) | set(after)):
                if before.get(name, 0.0) != after.get(name, 0.0):
                    moved[name] = (before.get(name, 0.0), after.get(name, 0.0))
        return ShiftFailure(
            kind=kind,
            cause=cause,
            step=self.step,
            step_count=len(self.steps),
            phase=self.phase,
            percent_of_change=step.percent_of_change if step is not None else 0.0,
            moved=moved,
            confirmed=self.step_confirmed,
            reading=reading,
            timeout_seconds=timeout_seconds,
        )

    def timeout(self, doing: str) -> _Abort:
        seconds = self.policy.max_execution_seconds
        return _Abort(
            self.failure(
                "timeout",
                f"the maximum execution timeout of {seconds:g} s passed while {doing}",
                timeout_seconds=seconds,
            )
        )

    # --------------------------------------------------------------------------- routers

    def await_revision(self, revision: int, deadline: float) -> tuple[float, int]:
        """Poll until every live router reports `revision`; the seconds it took and the number of
        routers. Raises `_NotCaughtUp` at `deadline`. No router at all is not caught up: nobody
        serves the table then."""
        began = self.clock.now()
        last: tuple[tuple[int | None, ...], str | None] | None = None
        while True:
            error: str | None = None
            try:
                reported = tuple(self.routers.applied_revisions())
            except Exception as failed:  # a failed poll holds like a silent router
                reported, error = (), f"{type(failed).__name__}: {failed}"
            if reported and all(r == revision for r in reported):
                return self.clock.now() - began, len(reported)
            if (reported, error) != last:  # a change, not every poll
                last = (reported, error)
                self.emit(RoutersPending(revision, reported, self.elapsed(), error))
            now = self.clock.now()
            if now >= deadline:
                raise _NotCaughtUp(reported, error)
            self.clock.sleep(min(self.policy.poll_interval_seconds, deadline - now))

    def prepare_step(self, index: int, step: PlannedStep) -> None:
        """Run the caller's `before_step` for step `index` (1-based here, 0-based for the hook).
        An error ends the walk as a failure of its own kind, its message in the cause; the time
        it took counts toward the deadline."""
        if self.before_step is None:
            return
        try:
            self.before_step(index - 1, step)
        except Exception as error:
            raise _Abort(
                self.failure(
                    "prepare_failed",
                    f"preparing step {index} failed: {type(error).__name__}: {error}",
                )
            ) from error
        if self.clock.now() >= self.deadline:
            raise self.timeout(f"preparing step {index}")

    def apply_step(self, index: int, step: PlannedStep) -> StepTiming:
        revision = self.written + 1
        self.step, self.step_confirmed, self.phase = index, False, "apply"
        try:
            self.routers.apply(step.table, revision)
        except Exception as error:
            self.written = revision  # it may have been written in part
            raise _Abort(
                self.failure(
                    "apply_failed",
                    f"writing step {index}'s table as revision {revision} failed: "
                    f"{type(error).__name__}: {error}",
                )
            ) from error
        self.written, self.phase = revision, "catch_up"
        count = len(self.steps)
        self.emit(
            StepApplied(index, count, revision, step.table, step.percent_of_change, self.elapsed())
        )
        try:
            waited, live = self.await_revision(revision, self.deadline)
        except _NotCaughtUp as late:
            raise self.timeout(late.describe(revision)) from None
        self.step_confirmed, self.phase = True, "step"
        self.confirmed = (revision, f"step {index} of {count}'s table")
        self.emit(RoutersCaughtUp(index, count, revision, live, waited, self.elapsed()))
        previous = self.steps[index - 2].table if index > 1 else self.start
        baked = self.bake(index, "step", step.wait_seconds, _gaining(previous, step.table))
        return StepTiming(index, revision, waited, baked)

    # --------------------------------------------------------------------------- bakes

    def read_alarms(self, versions: Sequence[str]) -> tuple[AlarmReading, ...]:
        readings: list[AlarmReading] = []
        if self.stats is not None:
            for alarm in self.router_alarms:
                readings += [read_router_alarm(alarm, version, self.stats) for version in versions]
        if self.prom is not None:
            readings += [read_promql_alarm(alarm, self.prom) for alarm in self.promql_alarms]
        return tuple(readings)

    def judge(self, readings: Sequence[AlarmReading]) -> None:
        """Abort on the first breach, or on an alarm unreadable too many times in a row."""
        for reading in readings:
            if reading.breached:
                raise _Abort(
                    self.failure(
                        "alarm",
                        f"alarm {reading.alarm_name!r} breached: {reading.describe()}",
                        reading=reading,
                    )
                )
        for reading in readings:
            key = (reading.alarm_name, reading.version)
            errors = self.read_errors.get(key, 0) + 1 if reading.state == "error" else 0
            self.read_errors[key] = errors
            if errors >= self.policy.max_consecutive_read_errors:
                raise _Abort(
                    self.failure(
                        "unreadable_alarm",
                        f"alarm {reading.alarm_name!r} could not be read {errors} times in a "
                        f"row ({reading.describe()})",
                        reading=reading,
                    )
                )

    def bake(self, index: int, phase: BakePhase, seconds: float, versions: Sequence[str]) -> float:
        """Bake for `seconds`, reading the alarms on `versions` at its start, every check interval
        and at its end; the seconds baked."""
        if seconds <= 0:
            return 0.0
        count = len(self.steps)
        self.phase = phase
        began = self.clock.now()
        end = began + seconds
        while True:
            readings = self.read_alarms(versions)
            now = self.clock.now()
            self.emit(
                BakeProgress(index, count, phase, now - began, seconds, readings, self.elapsed())
            )
            self.judge(readings)
            now = self.clock.now()
            if now >= end:
                self.emit(BakeFinished(index, count, phase, now - began, self.elapsed()))
                return now - began
            if now >= self.deadline:
                what = "the termination wait" if phase == "termination" else f"step {index}'s bake"
                raise self.timeout(f"baking ({what}, {now - began:.0f} of {seconds:g} s)")
            interval = self.policy.check_interval_seconds
            self.clock.sleep(min(interval, end - now, self.deadline - now))

    # --------------------------------------------------------------------------- the walk

    def run(self) -> ShiftResult:
        timings: list[StepTiming] = []
        try:
            for index, step in enumerate(self.steps, start=1):
                self.prepare_step(index, step)
                timings.append(self.apply_step(index, step))
            terminal = 0.0
            if self.steps:
                gained = _gaining(self.start, self.steps[-1].table)
                wait = self.policy.termination_wait_seconds
                terminal = self.bake(len(self.steps), "termination", wait, gained)
        except _Abort as abort:
            self.roll_back(abort.failure, abort)
        except Exception as error:
            cause = f"the shift stopped: {type(error).__name__}: {error}"
            self.roll_back(self.failure("interrupted", cause), error)
        except BaseException as error:  # Ctrl-C, SystemExit: roll back, then let it through
            cause = f"the shift was interrupted ({type(error).__name__})"
            try:
                self.roll_back(self.failure("interrupted", cause), error)
            except ShiftRolledBack:
                raise error from None
        count, elapsed = len(self.steps), self.elapsed()
        self.emit(ShiftCompleted(self.written, count, elapsed), outcome=True)
        return ShiftResult(self.written, count, elapsed, tuple(timings), terminal)

    def roll_back(self, failure: ShiftFailure, cause: BaseException) -> NoReturn:
        revision = self.written + 1
        self.rolling_back = True
        self.emit(RollingBack(failure.describe(), revision, self.elapsed()))
        try:
            self.routers.apply(self.start, revision)
        except Exception as error:
            problem = (
                f"writing the starting table as revision {revision} raised "
                f"{type(error).__name__}: {error}"
            )
            raise RollbackFailed(
                failure, problem, revision, self.confirmed, self.start_revision
            ) from error
        self.written = revision
        deadline = self.clock.now() + self.policy.rollback_timeout_seconds
        try:
            waited, _ = self.await_revision(revision, deadline)
        except _NotCaughtUp as late:
            problem = (
                f"the routers did not all report the starting table within "
                f"{self.policy.rollback_timeout_seconds:g} s ({late.describe(revision)})"
            )
            raise RollbackFailed(
                failure, problem, revision, self.confirmed, self.start_revision
            ) from _original(cause)
        self.emit(RolledBack(revision, waited, self.elapsed()))
        raise ShiftRolledBack(failure, revision) from _original(cause)


def run_shift(
    start: RoutingTable,
    steps: Sequence[PlannedStep],
    *,
    start_revision: int,
    routers: RouterControl,
    clock: Clock,
    policy: ShiftPolicy | None = None,
    alarms: Sequence[AnyAlarm] = (),
    stats: VersionStats | None = None,
    prom: PromQuery | None = None,
    on_event: EventSink | None = None,
    before_step: BeforeStep | None = None,
) -> ShiftResult:
    """Walk `steps` (from `rollout.plan_steps`) from `start`, the table live as `start_revision`.

    Step k is written as revision `start_revision + k`; a rollback takes the next revision after
    the last one written. Router-metric alarms need `stats`, PromQL alarms `prom`. Returns the
    result once every router reports the last step and every bake passed; raises
    `ShiftRolledBack` (the starting table is live again) or `RollbackFailed` (state unknown).
    No steps: nothing is written, the result says so.

    `before_step(k, step)`, when given, is called before step k's table is written (k from 0:
    before the first write too), after the previous step's bake. If it raises an `Exception`,
    nothing more is written forward: the shift is rolled back as on a breach (the starting table
    written with the next revision, every router waited for) and `ShiftRolledBack` says
    `preparing step k+1 failed: <type>: <message>`, with kind `prepare_failed` and the step that
    was live; an interrupt (KeyboardInterrupt, SystemExit) is rolled back and re-raised as
    elsewhere. The hook's time counts toward `max_execution_seconds`: a hook that returns after
    the deadline rolls the shift back as a timeout.
    """
    if any(isinstance(a, RouterMetricAlarm) for a in alarms) and stats is None:
        raise ValueError("router-metric alarms need a VersionStats (stats=...)")
    if any(isinstance(a, PromQLAlarm) for a in alarms) and prom is None:
        raise ValueError("PromQL alarms need a PromQuery (prom=...)")
    shift = _Shift(
        start,
        steps,
        start_revision,
        routers,
        clock,
        policy or ShiftPolicy(),
        alarms,
        stats,
        prom,
        on_event,
        before_step,
    )
    return shift.run()
