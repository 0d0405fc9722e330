"""The run record follows a shift in the form every shift driver keeps (`rollout.shift_progress`,
read by `describe`) plus local apply's own fields: the revision about to be written is recorded
before any router can see it, the engine's events move the step and phase, and the end of the
shift leaves the live table, no shift, and the last failure recorded or cleared."""

from __future__ import annotations

from pathlib import Path

from local_runtime.routing_record import LiveRouting, LocalShift
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, RunState, read_state, write_state
from local_runtime.shift_recorder import ShiftRecorder
from rollout import (
    BakeProgress,
    PlannedStep,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    StepApplied,
)
from rollout.shift_progress import LastFailure, ShiftProgress
from specification.routing import RoutingTable

START = RoutingTable({"va": 10000, "vb": 0}, "va")
HALF = RoutingTable({"va": 5000, "vb": 5000}, "va")
TARGET = RoutingTable({"va": 0, "vb": 10000}, "vb")
STEPS = (PlannedStep(HALF, 30, 50.0), PlannedStep(TARGET, 30, 100.0))


def _recorder(tmp_path: Path) -> tuple[ShiftRecorder, RunLayout]:
    layout = RunLayout(tmp_path)
    endpoint = EndpointState(
        "shop", "u", 1, "http://127.0.0.1:2/metrics", START.traffic, "va", False, False, (),
        spec={"name": "shop"}, routing=LiveRouting(START, 1),
        last_failure={"reason": "an older failure", "at": "2026-01-01T00:00:00+00:00",
                      "outcome": "rolled_back"},
    )
    root = str(tmp_path)
    state = RunState("dev", root, root, "/c.yaml", "t", "running", {"shop": endpoint})
    write_state(layout, state)
    return ShiftRecorder(layout, state, "shop"), layout


def _saved(layout: RunLayout) -> EndpointState:
    state = read_state(layout)
    assert state is not None
    return state.endpoints["shop"]


def _shift(layout: RunLayout) -> LocalShift:
    record = _saved(layout).shift
    assert record is not None
    ShiftProgress.from_json(record)  # what `describe` reads
    return LocalShift.from_json(record)


def test_the_record_follows_the_walk_and_names_each_revision_before_it_is_written(
    tmp_path: Path,
) -> None:
    recorder, layout = _recorder(tmp_path)
    recorder.begin(START, 1, TARGET, STEPS, termination_wait_seconds=10)
    shift = _shift(layout)
    assert (shift.progress.step, shift.progress.phase, shift.progress.step_count) == (0, "apply", 2)
    assert shift.driver is not None and (shift.driver.revision, shift.driver.target) == (1, TARGET)
    assert shift.driver.pid > 0
    recorder.before_write(HALF, 2)
    assert _shift(layout).driver.revision == 2
    assert _shift(layout).progress.revision is None  # written, not yet reported by the engine
    recorder.on_event(StepApplied(1, 2, 2, HALF, 50.0, 0.1))
    applied = _shift(layout).progress
    assert (applied.step, applied.phase, applied.revision) == (1, "catch_up", 2)
    recorder.on_event(RoutersCaughtUp(1, 2, 2, 1, 0.1, 0.2))
    baking = _shift(layout).progress
    assert baking.phase == "step" and baking.next_step_at is not None
    recorder.on_event(BakeProgress(2, 2, "termination", 0.0, 10.0, (), 61.0))
    assert _shift(layout).progress.phase == "termination"
    recorder.completed(TARGET, 3, {"name": "shop", "new": True})
    done = _saved(layout)
    assert done.shift is None and done.routing == LiveRouting(TARGET, 3)
    assert done.traffic == {"va": 0.0, "vb": 100.0} and done.default_version == "vb"
    assert done.spec == {"name": "shop", "new": True}
    assert done.last_failure is None  # a completed change clears the last failure


def test_the_engine_s_rollback_leaves_the_starting_table_and_its_message(tmp_path: Path) -> None:
    recorder, layout = _recorder(tmp_path)
    recorder.begin(START, 1, TARGET, STEPS, termination_wait_seconds=0)
    recorder.before_write(HALF, 2)
    recorder.on_event(StepApplied(1, 2, 2, HALF, 50.0, 0.1))
    recorder.on_event(RollingBack("alarm 'x' breached: ... at step 1 of 2", 3, 5.0))
    recorder.before_write(START, 3)
    rolling = _shift(layout)
    assert rolling.progress.phase == "rolling_back" and rolling.driver.revision == 3
    recorder.on_event(RolledBack(3, 0.1, 5.2))
    rolled = _saved(layout)
    assert rolled.shift is None and rolled.routing == LiveRouting(START, 3)
    assert rolled.spec == {"name": "shop"}  # the run keeps the spec it had
    assert rolled.last_failure is not None
    failure = LastFailure.from_json(rolled.last_failure)
    assert failure.outcome == "rolled_back"
    assert failure.reason == (
        "traffic shift rolled back: alarm 'x' breached: ... at step 1 of 2; the starting table is "
        "live again on every router (revision 3)"
    )


def test_no_shift_keeps_the_last_failure(tmp_path: Path) -> None:
    recorder, layout = _recorder(tmp_path)
    recorder.unchanged(START, 1, {"name": "shop", "policy": 1})
    kept = _saved(layout)
    assert kept.spec == {"name": "shop", "policy": 1}
    assert kept.last_failure is not None and kept.last_failure["reason"] == "an older failure"
