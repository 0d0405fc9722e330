"""The cluster shift's record on the routing ConfigMap's annotations: what the recorder writes along
the engine's events, and what `describe` reads back (a record past its deadline as a failure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from kube_adapter import ClusterError
from provider.shift_annotations import ClusterShiftRecorder
from rollout import (
    BakeProgress,
    PlannedStep,
    RoutersCaughtUp,
    ShiftCompleted,
    StepApplied,
)
from rollout.shift_annotations import (
    LAST_FAILURE_ANNOTATION,
    SHIFT_ANNOTATION,
    read_shift_annotations,
)
from rollout.shift_errors import ShiftFailure, ShiftRolledBack
from specification.routing import RoutingTable

START = RoutingTable({"a": 9000, "b": 1000}, "a")
MIDDLE = RoutingTable({"a": 7500, "b": 2500}, "a")
TARGET = RoutingTable({"a": 6000, "b": 4000}, "a")
STEPS = (PlannedStep(MIDDLE, 30, 50.0), PlannedStep(TARGET, 30, 100.0))
BEGAN = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class Annotated:
    """An adapter holding one ConfigMap's annotations; `fail` makes every write fail."""

    def __init__(self, fail: bool = False) -> None:
        self.annotations: dict[str, str] = {"pulumi.com/patchForce": "true"}
        self.writes = 0
        self.fail = fail

    def annotate_config_map(self, namespace: str, name: str, changes: Mapping[str, str | None]) -> None:
        assert (namespace, name) == ("ns", "ep-router-routing")
        self.writes += 1
        if self.fail:
            raise ClusterError("patch refused")
        for key, value in changes.items():
            if value is None:
                self.annotations.pop(key, None)
            else:
                self.annotations[key] = value


def recorder(adapter: Annotated, said: list[str]) -> ClusterShiftRecorder:
    return ClusterShiftRecorder(adapter, "ns", "ep-router-routing", said.append, now=lambda: BEGAN)  # type: ignore[arg-type]


def applied(step: int, revision: int) -> StepApplied:
    return StepApplied(step, 2, revision, STEPS[step - 1].table, STEPS[step - 1].percent_of_change, 1.0)


def test_the_record_follows_steps_and_phases_and_is_read_back() -> None:
    adapter, said = Annotated(), []
    record = recorder(adapter, said)
    record.begin(START, STEPS, termination_wait_seconds=60, give_up_after_seconds=900)
    record.on_event(applied(1, 4))
    record.on_event(RoutersCaughtUp(1, 2, 4, routers=2, waited_seconds=0.5, elapsed_seconds=2.0))
    writes = adapter.writes
    record.on_event(BakeProgress(1, 2, "step", 5.0, 30.0, (), 7.0))  # a bake tick: not written
    assert adapter.writes == writes == 3

    shift, failure = read_shift_annotations(adapter.annotations, BEGAN + timedelta(seconds=10))
    assert failure is None and shift is not None
    assert (shift.step, shift.step_count, shift.phase, shift.revision) == (1, 2, "step", 4)
    assert shift.target == TARGET.traffic and shift.start == START.traffic
    assert shift.next_step_at == (BEGAN + timedelta(seconds=32)).isoformat(timespec="milliseconds")
    stored = json.loads(adapter.annotations[SHIFT_ANNOTATION])
    assert stored["deadline_at"] == (BEGAN + timedelta(seconds=900)).isoformat(timespec="milliseconds")

    record.on_event(ShiftCompleted(revision=5, steps_applied=2, elapsed_seconds=90.0))
    record.completed()
    assert adapter.annotations == {"pulumi.com/patchForce": "true"}
    assert said == []


def test_a_failed_shift_leaves_its_failure_and_a_completed_one_clears_it() -> None:
    adapter, said = Annotated(), []
    record = recorder(adapter, said)
    record.begin(START, STEPS, 0, 900)
    record.on_event(applied(1, 4))
    breach = ShiftFailure("alarm", "alarm 'canary-5xx' breached", step=1, step_count=2, phase="step")
    rolled_back = ShiftRolledBack(breach, revision=5)
    record.failed(rolled_back)
    assert SHIFT_ANNOTATION not in adapter.annotations
    shift, failure = read_shift_annotations(adapter.annotations, BEGAN)
    assert shift is None and failure is not None
    assert (failure.outcome, failure.reason) == ("rolled_back", str(rolled_back))
    assert "alarm 'canary-5xx' breached" in failure.reason
    again = recorder(adapter, said)
    again.begin(START, STEPS, 0, 900)
    assert read_shift_annotations(adapter.annotations, BEGAN)[1] is not None  # kept while it runs
    again.completed()
    assert read_shift_annotations(adapter.annotations, BEGAN) == (None, None)


def test_a_record_past_its_deadline_reads_as_a_shift_whose_up_was_killed() -> None:
    adapter = Annotated()
    record = recorder(adapter, [])
    record.begin(START, STEPS, 0, give_up_after_seconds=900)
    record.on_event(applied(1, 4))  # ... and then `pulumi up` was killed
    shift, failure = read_shift_annotations(adapter.annotations, BEGAN + timedelta(seconds=901))
    assert shift is None and failure is not None and failure.outcome == "failed"
    assert failure.reason.startswith("a traffic shift stopped at step 1 of 2 without completing")
    assert "revision 4" in failure.reason and "Run `pulumi up` again" in failure.reason


@pytest.mark.parametrize(
    "annotations",
    [
        {SHIFT_ANNOTATION: "not json"},
        {SHIFT_ANNOTATION: json.dumps({"progress": {"phase": "nope"}, "deadline_at": "x"})},
        {SHIFT_ANNOTATION: "[]", LAST_FAILURE_ANNOTATION: '{"outcome": "exploded"}'},
    ],
)
def test_unreadable_records_are_none(annotations: dict[str, str]) -> None:
    assert read_shift_annotations(annotations, BEGAN) == (None, None)


def test_a_record_that_cannot_be_written_is_reported_once_and_never_stops_the_shift() -> None:
    adapter, said = Annotated(fail=True), []
    record = recorder(adapter, said)
    record.begin(START, STEPS, 0, 900)
    record.on_event(applied(1, 4))
    record.completed()
    assert adapter.writes == 1  # tried once, then left alone
    assert len(said) == 1 and "cannot record the shift's progress on ConfigMap 'ep-router-routing'" in said[0]
    assert "patch refused" in said[0]
