"""What `local apply` shows on stderr while it runs: a progress bar per step, the alarms as read.

Each planned step gets a bar that fills while its bake runs (a step without a bake completes once
every router reports its table); the termination wait gets one too. Alarm readings are printed as
they are read: every reading in a log (stderr not a terminal), and on a terminal only a reading
whose state changed, the latest ones staying in the bar's text. Lines about the shift itself
(planned, caught up, a replacement's new replicas grown, rolling back, rolled back, completed)
are printed above the bars.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from local_runtime.apply_events import (
    ApplyEvent,
    EndpointUnchanged,
    GreenGrown,
    InterruptedShiftFound,
    InterruptedShiftRolledBack,
    ShiftPlanned,
)
from rollout import (
    AlarmReading,
    BakeFinished,
    BakeProgress,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    RoutersPending,
    ShiftCompleted,
    StepApplied,
)
from specification.routing import RoutingTable

__all__ = ["ShiftProgressView", "traffic_line"]

_STATE_STYLE = {
    "ok": "green",
    "breach": "bold red",
    "not_enough_data": "dim",
    "no_data": "dim",
    "error": "yellow",
}


def traffic_line(table: RoutingTable) -> str:
    """`versiona 90%, versionb 10%` (the default marked)."""
    return ", ".join(
        f"{name} {share:g}%" + (" (default)" if name == table.default_version else "")
        for name, share in table.traffic.items()
    )


def _reading_line(reading: AlarmReading) -> str:
    style = _STATE_STYLE.get(reading.state, "")
    state = reading.state.replace("_", " ")
    return (
        f"    alarm {escape(reading.alarm_name)}: [{style}]{state}[/{style}] "
        f"{escape(reading.describe())}"
    )


class ShiftProgressView:
    """An `ApplyEventSink` drawing on `console` (use it as a context manager)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            auto_refresh=console.is_terminal,
        )
        self._tasks: dict[tuple[str, int | str], TaskID] = {}
        self._last_states: dict[tuple[str, str, str | None], str] = {}
        self._waits: dict[tuple[str, int], int] = {}
        self._totals: dict[tuple[str, int | str], float] = {}
        self._written: dict[str, int] = {}

    def __enter__(self) -> ShiftProgressView:
        if self.console.is_terminal:
            self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.console.is_terminal:
            self.progress.stop()

    def say(self, text: str) -> None:
        """A line above the bars (the bars' console prints it so they are redrawn below)."""
        self.progress.console.print(text)

    def _task(self, endpoint: str, key: int | str) -> TaskID | None:
        return self._tasks.get((endpoint, key))

    def _update(self, endpoint: str, key: int | str, **fields: object) -> None:
        task = self._task(endpoint, key)
        if task is not None:
            self.progress.update(task, **fields)  # type: ignore[arg-type]

    def _readings(self, endpoint: str, readings: tuple[AlarmReading, ...]) -> str:
        """Print the readings (all of them in a log, changed states on a terminal); returns a
        short summary for the bar."""
        for reading in readings:
            key = (endpoint, reading.alarm_name, reading.version)
            changed = self._last_states.get(key) != reading.state
            self._last_states[key] = reading.state
            if changed or not self.console.is_terminal:
                self.say(_reading_line(reading))
        return ", ".join(
            f"{r.alarm_name}"
            + (f"[{r.version}]" if r.version else "")
            + f"={'-' if r.value is None else format(r.value, '.3g')}"
            for r in readings
        )

    def __call__(self, endpoint: str, event: ApplyEvent) -> None:
        name = escape(endpoint)
        if isinstance(event, InterruptedShiftFound):
            reported = ", ".join("no answer" if r is None else str(r) for r in event.reported)
            where = "its record is malformed"
            if event.record is not None:
                progress, driver = event.record.progress, event.record.driver
                where = f"step {progress.step} of {progress.step_count}, {progress.phase}"
                if driver is not None:
                    where += f", pid {driver.pid}, revision {driver.revision}"
            self.say(
                f"[yellow]endpoint {name}: a `local apply` was killed during its shift "
                f"({escape(where)}; routers report {reported}); rolling it back to its starting "
                f"table as revision {event.revision}[/yellow]"
            )
        elif isinstance(event, InterruptedShiftRolledBack):
            self.say(
                f"endpoint {name}: the interrupted shift is rolled back: every router serves "
                f"{escape(traffic_line(event.table))} again (revision {event.revision})"
            )
        elif isinstance(event, EndpointUnchanged) and event.declared is not None:
            self.say(
                f"endpoint {name}: weights are retained (retain_all_variant_properties): every "
                f"router keeps {escape(traffic_line(event.table))} (revision {event.revision}) "
                f"instead of the declared {escape(traffic_line(event.declared))}; add "
                "{variant_property_type: DesiredWeight} to exclude_retained_variant_properties "
                "to apply it"
            )
        elif isinstance(event, EndpointUnchanged):
            self.say(
                f"endpoint {name}: no traffic change; every router already serves "
                f"{escape(traffic_line(event.table))} (revision {event.revision})"
            )
        elif isinstance(event, ShiftPlanned):
            self._planned(endpoint, event)
        elif isinstance(event, GreenGrown):
            self.say(
                f"endpoint {name}: {escape(event.version)}'s new replicas grew to "
                f"{event.replicas} ({escape(', '.join(event.started))} started and in the "
                "router) for the next step"
            )
        elif isinstance(event, StepApplied):
            self._written[endpoint] = event.step
            self._update(endpoint, event.step, detail=f"written as revision {event.revision}")
        elif isinstance(event, RoutersPending):
            reported = ", ".join("-" if r is None else str(r) for r in event.reported)
            self._update(
                endpoint, self._current_step(endpoint), detail=f"routers report [{reported}]"
            )
        elif isinstance(event, RoutersCaughtUp):
            self._caught_up(endpoint, event)
        elif isinstance(event, BakeProgress):
            summary = self._readings(endpoint, event.readings)
            key: int | str = event.step if event.phase == "step" else "termination"
            detail = f"baked {event.baked_seconds:.0f}/{event.bake_seconds:g} s"
            self._update(
                endpoint, key, completed=event.baked_seconds, detail=f"{detail} {summary}".strip()
            )
        elif isinstance(event, BakeFinished):
            done = event.step if event.phase == "step" else "termination"
            total = self._totals.get((endpoint, done), 1)
            self._update(endpoint, done, completed=total, detail="baked, no alarm")
        elif isinstance(event, RollingBack):
            self.say(f"[bold red]endpoint {name}: {escape(event.reason)}[/bold red]")
            self.say(f"endpoint {name}: rolling back: writing the starting table as revision "
                     f"{event.revision}")
        elif isinstance(event, RolledBack):
            self.say(
                f"endpoint {name}: every router serves the starting table again (revision "
                f"{event.revision}, after {event.waited_seconds:.2f} s)"
            )
        elif isinstance(event, ShiftCompleted):
            self.say(
                f"[green]endpoint {name}: shift completed: revision {event.revision} live on "
                f"every router after {event.steps_applied} step(s) in "
                f"{event.elapsed_seconds:.1f} s[/green]"
            )

    def _current_step(self, endpoint: str) -> int:
        """The step being written or caught up with (the last one written)."""
        return self._written.get(endpoint, 0)

    def _planned(self, endpoint: str, event: ShiftPlanned) -> None:
        name = escape(endpoint)
        self.say(
            f"endpoint {name}: shifting from {escape(traffic_line(event.start))} (revision "
            f"{event.start_revision}) to {escape(traffic_line(event.target))} in "
            f"{len(event.steps)} step(s): {escape(event.policy)}"
        )
        count = len(event.steps)
        for index, step in enumerate(event.steps, start=1):
            description = (
                f"{name} step {index}/{count} ({step.percent_of_change:g}% of the change): "
                f"{escape(traffic_line(step.table))}"
            )
            total = max(step.wait_seconds, 1)
            self._tasks[(endpoint, index)] = self.progress.add_task(
                description, total=total, detail="planned"
            )
            self._totals[(endpoint, index)] = total
            self._waits[(endpoint, index)] = step.wait_seconds
        if event.termination_wait_seconds > 0:
            self._tasks[(endpoint, "termination")] = self.progress.add_task(
                f"{name} termination wait",
                total=event.termination_wait_seconds,
                detail="after the last step",
            )
            self._totals[(endpoint, "termination")] = event.termination_wait_seconds

    def _caught_up(self, endpoint: str, event: RoutersCaughtUp) -> None:
        self.say(
            f"endpoint {escape(endpoint)}: step {event.step} of {event.step_count} is live on "
            f"{event.routers} router(s) as revision {event.revision} after "
            f"{event.waited_seconds:.2f} s"
        )
        detail = f"live as revision {event.revision}"
        if self._waits.get((endpoint, event.step), 0) > 0:
            self._update(endpoint, event.step, detail=detail)
        else:  # no bake: the step is done once every router serves it
            self._update(endpoint, event.step, completed=1, detail=detail)
