"""The run record follows a shift: the revision about to be written is recorded before any router
can see it, the engine's events move the step and phase, and the end of the shift (completed or
rolled back) leaves the live table and no shift."""

from __future__ import annotations

from pathlib import Path

from local_runtime.routing_record import LiveRouting
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
from specification.routing import RoutingTable

START = RoutingTable({"va": 10000, "vb": 0}, "va")
HALF = RoutingTable({"va": 5000, "vb": 5000}, "va")
TARGET = RoutingTable({"va": 0, "vb": 10000}, "va")
STEPS = (PlannedStep(HALF, 30, 50.0), PlannedStep(TARGET, 30, 100.0))


def _recorder(tmp_path: Path) -> tuple[ShiftRecorder, RunLayout]:
    layout = RunLayout(tmp_path)
    endpoint = EndpointState(
        "shop", "u", 1, "http://127.0.0.1:2/metrics", START.traffic, "va", False, False, (),
        spec={"name": "shop"}, routing=LiveRouting(START, 1),
    )
    root = str(tmp_path)
    state = RunState("dev", root, root, "/c.yaml", "t", "running", {"shop": endpoint})
    write_state(layout, state)
    return ShiftRecorder(layout, state, "shop"), layout


def _saved(layout: RunLayout) -> EndpointState:
    state = read_state(layout)
    assert state is not None
    return state.endpoints["shop"]


def test_the_record_follows_the_walk_and_names_each_revision_before_it_is_written(
    tmp_path: Path,
) -> None:
    recorder, layout = _recorder(tmp_path)
    recorder.begin(START, 1, TARGET, STEPS)
    shift = _saved(layout).shift
    assert shift is not None and (shift.step, shift.revision, shift.phase) == (0, 1, "apply")
    recorder.before_write(HALF, 2)
    assert _saved(layout).shift.revision == 2
    recorder.on_event(StepApplied(1, 2, 2, HALF, 50.0, 0.1))
    applied = _saved(layout).shift
    assert applied is not None and (applied.step, applied.phase) == (1, "catch_up")
    recorder.on_event(RoutersCaughtUp(1, 2, 2, 1, 0.1, 0.2))
    baking = _saved(layout).shift
    assert baking is not None and baking.phase == "bake" and baking.bake_until is not None
    recorder.on_event(BakeProgress(2, 2, "termination", 0.0, 10.0, (), 61.0))
    assert _saved(layout).shift.phase == "termination"
    recorder.completed(TARGET, 3, {"name": "shop", "new": True})
    done = _saved(layout)
    assert done.shift is None and done.routing == LiveRouting(TARGET, 3)
    assert done.traffic == {"va": 0.0, "vb": 100.0} and done.spec == {"name": "shop", "new": True}


def test_a_rollback_leaves_the_starting_table_live(tmp_path: Path) -> None:
    recorder, layout = _recorder(tmp_path)
    recorder.begin(START, 1, TARGET, STEPS)
    recorder.before_write(HALF, 2)
    recorder.on_event(RollingBack("alarm", 3, 5.0))
    recorder.before_write(START, 3)
    rolling = _saved(layout).shift
    assert rolling is not None and (rolling.phase, rolling.revision) == ("rolling_back", 3)
    recorder.on_event(RolledBack(3, 0.1, 5.2))
    rolled = _saved(layout)
    assert rolled.shift is None and rolled.routing == LiveRouting(START, 3)
    assert rolled.spec == {"name": "shop"}  # the run keeps the spec it had
