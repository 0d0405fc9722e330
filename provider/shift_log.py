"""A running shift's progress as one line per event, for the person watching `pulumi up`.

The engine shows every line a provider process writes on stderr as a diagnostic of the update,
so a shift of many minutes is not silent: each step written, the routers catching up, each
alarm reading during a bake, the outcome. Lines name tables and alarms, never a credential.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rollout import (
    BakeFinished,
    BakeProgress,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    RoutersPending,
    ShiftCompleted,
    ShiftEvent,
    StepApplied,
)

__all__ = ["describe_event", "progress_printer", "write_line"]


def _traffic(traffic: dict[str, float]) -> str:
    return ", ".join(f"{name} {percent:g}%" for name, percent in traffic.items())


def describe_event(event: ShiftEvent) -> str:
    """The event in one line."""
    if isinstance(event, StepApplied):
        return (
            f"step {event.step} of {event.step_count}: wrote revision {event.revision} "
            f"({_traffic(event.table.traffic)}; {event.percent_of_change:g}% of the change)"
        )
    if isinstance(event, RoutersPending):
        reported = ", ".join("no answer" if r is None else str(r) for r in event.reported)
        line = (
            f"waiting for every router to report revision {event.revision} "
            f"(reported: {reported or 'none'})"
        )
        return f"{line}; {event.error}" if event.error else line
    if isinstance(event, RoutersCaughtUp):
        return (
            f"step {event.step} of {event.step_count}: all {event.routers} routers report revision "
            f"{event.revision} (after {event.waited_seconds:.1f} s)"
        )
    if isinstance(event, BakeProgress):
        what = "termination wait" if event.phase == "termination" else "bake"
        readings = "; ".join(f"{r.alarm_name}: {r.describe()}" for r in event.readings)
        line = (
            f"step {event.step} of {event.step_count}: {what} "
            f"{event.baked_seconds:.0f} of {event.bake_seconds:g} s"
        )
        return f"{line}; {readings}" if readings else line
    if isinstance(event, BakeFinished):
        what = "termination wait" if event.phase == "termination" else "bake"
        return f"step {event.step} of {event.step_count}: {what} passed ({event.baked_seconds:.0f} s)"
    if isinstance(event, ShiftCompleted):
        return (
            f"shift completed: revision {event.revision} on every router "
            f"({event.steps_applied} steps, {event.elapsed_seconds:.0f} s)"
        )
    if isinstance(event, RollingBack):
        return f"rolling back ({event.reason}): writing the starting table as revision {event.revision}"
    if isinstance(event, RolledBack):
        return f"rolled back: every router reports the starting table (revision {event.revision})"
    return type(event).__name__


def progress_printer(
    prefix: str, write: Callable[[str], object] | None = None
) -> Callable[[ShiftEvent], None]:
    """An event sink writing `<prefix>: <line>` to stderr (or to `write`)."""
    out = write if write is not None else write_line

    def sink(event: ShiftEvent) -> None:
        out(f"{prefix}: {describe_event(event)}")

    return sink


def write_line(line: str) -> None:
    """Write one line to stderr, where the engine shows it."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # a closed stream must not stop a shift: the engine rolls back when a sink raises
