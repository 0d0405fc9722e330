"""A shift's progress lines: one per event, naming steps, revisions, tables and alarm readings."""

from __future__ import annotations

import sys

import pytest

from provider.shift_log import describe_event, progress_printer, write_line
from rollout import (
    AlarmReading,
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
from specification.routing import RoutingTable

READING = AlarmReading(
    "canary-5xx", "breach", "5xx_ratio", 0.05, "GreaterThanThreshold", 0.6, "versionb", 200, 10
)


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (
            StepApplied(1, 2, 5, RoutingTable({"versiona": 8700, "versionb": 1300}, "versiona"), 10.0, 0.1),
            "step 1 of 2: wrote revision 5 (versiona 87%, versionb 13%; 10% of the change)",
        ),
        (
            RoutersPending(5, (5, None), 0.5, "RoutersNotApplying: router pod 'b' reports: refused"),
            "waiting for every router to report revision 5 (reported: 5, no answer); "
            "RoutersNotApplying: router pod 'b' reports: refused",
        ),
        (RoutersCaughtUp(1, 2, 5, 2, 1.25, 1.3), "step 1 of 2: all 2 routers report revision 5 (after 1.2 s)"),
        (
            BakeProgress(1, 2, "step", 30.0, 300.0, (READING,), 31.0),
            "step 1 of 2: bake 30 of 300 s; canary-5xx: 5xx_ratio of versionb = 0.6 > threshold 0.05 "
            "(200 requests in 10 s)",
        ),
        (BakeFinished(2, 2, "termination", 300.0, 900.0), "step 2 of 2: termination wait passed (300 s)"),
        (ShiftCompleted(6, 2, 912.0), "shift completed: revision 6 on every router (2 steps, 912 s)"),
        (RollingBack("alarm 'x' breached", 7, 40.0), "rolling back (alarm 'x' breached): writing the starting table as revision 7"),
        (RolledBack(7, 0.5, 41.0), "rolled back: every router reports the starting table (revision 7)"),
    ],
)
def test_each_event_is_one_line(event: ShiftEvent, line: str) -> None:
    assert describe_event(event) == line


def test_the_printer_prefixes_each_line() -> None:
    lines: list[str] = []
    progress_printer("endpoint 'fraud'", lines.append)(RolledBack(7, 0.5, 41.0))
    assert lines == ["endpoint 'fraud': rolled back: every router reports the starting table (revision 7)"]


def test_a_closed_stderr_does_not_stop_a_shift(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine rolls a shift back when its event sink raises: a lost progress line must not."""

    class Closed:
        def write(self, _text: str) -> int:
            raise BrokenPipeError("stderr is gone")

        def flush(self) -> None:
            raise BrokenPipeError("stderr is gone")

    monkeypatch.setattr(sys, "stderr", Closed())
    write_line("step 1 of 2: wrote revision 5")
