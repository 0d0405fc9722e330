"""The shift record a driver keeps for the status: folded from the step engine's own events (the
real engine on a fake clock), its JSON form, and the last failure made from what the engine
raises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rollout.protocols import WindowStats
from rollout.shift_engine import ShiftPolicy, run_shift
from rollout.shift_errors import RollbackFailed, ShiftFailed, ShiftFailure, ShiftRolledBack
from rollout.shift_events import RoutersPending, ShiftEvent
from rollout.shift_progress import LastFailure, ShiftProgress
from rollout.status_derivation import (
    ReplicaCounts,
    RouterReport,
    StatusInputs,
    WrittenTable,
    derive_endpoint_status,
)
from rollout.steps import plan_steps
from specification.alarms import RouterMetricAlarm
from specification.deployment_config import TrafficRoutingConfiguration
from specification.routing import routing_table
from tests.rollout.shift_fakes import FakeClock, FakeRouter, FakeRouters, ScriptedStats

STARTED = datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
START = routing_table({"a": 90, "b": 10}, "a")
NEW = routing_table({"a": 60, "b": 40}, "a")


def _linear(size: int, wait: int) -> TrafficRoutingConfiguration:
    return TrafficRoutingConfiguration.model_validate(
        {
            "type": "LINEAR",
            "wait_interval_in_seconds": wait,
            "linear_step_size": {"type": "CAPACITY_PERCENT", "value": size},
        }
    )


def _at(seconds: float) -> str:
    return (STARTED + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


class Folder:
    """Folds every event into the record, as a driver does, keeping each record."""

    def __init__(self, progress: ShiftProgress) -> None:
        self.progress: ShiftProgress | None = progress
        self.seen: list[tuple[str, ShiftProgress | None]] = []

    def __call__(self, event: ShiftEvent) -> None:
        assert self.progress is not None, "an event after the shift ended"
        self.progress = self.progress.advance(event)
        self.seen.append((type(event).__name__, self.progress))

    def after(self, kind: str, index: int = 0) -> ShiftProgress | None:
        return [progress for name, progress in self.seen if name == kind][index]


def test_a_linear_shift_folds_into_steps_with_the_next_steps_time() -> None:
    clock = FakeClock(start=0.0)
    steps = plan_steps(START, NEW, _linear(25, wait=30))
    begun = ShiftProgress.begin(START, steps, STARTED, termination_wait_seconds=20)
    assert (begun.step, begun.step_count, begun.phase, begun.next_step_at) == (0, 4, "apply", None)
    assert (begun.start, begun.target) == ({"a": 90.0, "b": 10.0}, {"a": 60.0, "b": 40.0})
    folder = Folder(begun)
    routers = FakeRouters(clock, [FakeRouter(5, lag_polls=2), FakeRouter(5)])

    run_shift(
        START,
        steps,
        start_revision=5,
        routers=routers,
        clock=clock,
        policy=ShiftPolicy(termination_wait_seconds=20, check_interval_seconds=10, poll_interval_seconds=0.5),
        on_event=folder,
    )

    applied = folder.after("StepApplied")
    assert applied is not None
    assert (applied.step, applied.phase, applied.percent_of_change, applied.revision, applied.next_step_at) == (
        1, "catch_up", 25.0, 6, None,
    )
    pending = folder.after("RoutersPending")
    assert pending == applied  # waiting for a router changes nothing recorded
    caught_up = folder.after("RoutersCaughtUp")
    assert caught_up is not None and caught_up.phase == "step"
    assert caught_up.next_step_at == _at(1.0 + 30)  # caught up after two polls, then a 30 s bake
    ticking = folder.after("BakeProgress", 1)
    assert ticking is not None and ticking.next_step_at == _at(31.0)
    last_caught_up = folder.after("RoutersCaughtUp", 3)
    assert last_caught_up is not None and last_caught_up.step == 4
    # the last step is followed by the termination wait: next is the shift's end
    assert last_caught_up.next_step_at == _at(clock.time)
    termination = [p for name, p in folder.seen if name == "BakeProgress" and p and p.phase == "termination"]
    assert termination and all(p.next_step_at == _at(clock.time) for p in termination)
    assert folder.seen[-1] == ("ShiftCompleted", None)


def test_a_rolled_back_canary_records_rolling_back_then_its_failure() -> None:
    clock = FakeClock(start=0.0)
    start, new = routing_table({"a": 100, "b": 0}, "a"), routing_table({"a": 0, "b": 100}, "b")
    canary = TrafficRoutingConfiguration.model_validate(
        {
            "type": "CANARY",
            "wait_interval_in_seconds": 60,
            "canary_size": {"type": "CAPACITY_PERCENT", "value": 10},
        }
    )
    steps = plan_steps(start, new, canary)
    folder = Folder(ShiftProgress.begin(start, steps, STARTED))
    alarm = RouterMetricAlarm(
        alarm_name="canary-5xx", metric="5xx_ratio", threshold=0.05, window_seconds=30, min_requests=20
    )

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=1,
            routers=FakeRouters(clock, [FakeRouter(1)]),
            clock=clock,
            policy=ShiftPolicy(check_interval_seconds=5, poll_interval_seconds=0.5),
            alarms=[alarm],
            stats=ScriptedStats(clock, {"b": WindowStats(100, 50)}),
            on_event=folder,
        )

    rolling = folder.after("RollingBack")
    assert rolling is not None
    assert (rolling.phase, rolling.revision, rolling.next_step_at) == ("rolling_back", 3, None)
    assert rolling.reason is not None and "'canary-5xx' breached" in rolling.reason
    assert folder.seen[-1] == ("RolledBack", None)

    failure = LastFailure.from_error(raised.value, STARTED + timedelta(seconds=clock.time))
    assert failure.outcome == "rolled_back" and failure.reason == str(raised.value)
    status = derive_endpoint_status(
        StatusInputs(
            "e",
            start,
            WrittenTable(3, start.traffic),
            [RouterReport("r", True, 3, _at(clock.time))],
            {"a": ReplicaCounts(1, 1), "b": ReplicaCounts(1, 1)},
            last_failure=failure,
        )
    )
    assert status.endpoint_status == "InService" and status.failure_reason == str(raised.value)

    during = derive_endpoint_status(
        StatusInputs("e", new, WrittenTable(2, steps[0].traffic), [RouterReport("r", True, 2)], shift=rolling)
    )
    assert during.endpoint_status == "RollingBack"
    weights = [(v.name, v.desired_weight, v.current_weight) for v in during.versions]
    assert weights == [("a", 100.0, 90.0), ("b", 0.0, 10.0)]


def _failure() -> ShiftFailure:
    cause = "the maximum execution timeout passed"
    return ShiftFailure(kind="timeout", cause=cause, step=1, step_count=2, phase="step")


@pytest.mark.parametrize(
    "error, outcome",
    [
        (ShiftRolledBack(_failure(), 7), "rolled_back"),
        (RollbackFailed(_failure(), "timed out", 8, (6, "step 1 of 2's table"), 5), "rollback_failed"),
        (ShiftFailed("the shift was interrupted", _failure()), "failed"),
    ],
)
def test_the_last_failure_says_how_the_shift_ended(error: ShiftFailed, outcome: str) -> None:
    failure = LastFailure.from_error(error, STARTED)
    assert (failure.outcome, failure.reason, failure.at) == (outcome, str(error), "2025-03-01T11:00:00.000+00:00")
    assert LastFailure.from_json(failure.to_json()) == failure


def test_the_record_round_trips_through_its_json_form() -> None:
    steps = plan_steps(START, NEW, _linear(50, wait=60))
    progress = ShiftProgress.begin(START, steps, STARTED, termination_wait_seconds=30)
    assert progress.to_json() == {
        "started_at": "2025-03-01T11:00:00.000+00:00",
        "step": 0,
        "step_count": 2,
        "phase": "apply",
        "start": {"a": 90.0, "b": 10.0},
        "target": {"a": 60.0, "b": 40.0},
        "percent_of_change": 0.0,
        "revision": None,
        "next_step_at": None,
        "reason": None,
        "wait_seconds": 60.0,
        "termination_wait_seconds": 30.0,
    }
    assert ShiftProgress.from_json(progress.to_json()) == progress
    assert progress.advance(RoutersPending(1, (None,), 0.0)) == progress


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"phase": "baking"}, "phase 'baking' is not one of"),
        ({"step": "1"}, "step is not a whole number"),
        ({"start": [90, 10]}, "start is not a map"),
        ({"target": {"a": "60"}}, "target.a is not a number"),
        ({"started_at": "yesterday"}, "yesterday"),
        ({"started_at": None}, "started_at is not a timestamp"),
        ({"reason": 3}, "reason is not text"),
    ],
)
def test_a_malformed_record_is_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    document = {**ShiftProgress.begin(START, plan_steps(START, NEW, None), STARTED).to_json(), **changes}
    with pytest.raises(ValueError, match=message):
        ShiftProgress.from_json(document)


def test_a_record_missing_a_field_names_it() -> None:
    document = ShiftProgress.begin(START, plan_steps(START, NEW, None), STARTED).to_json()
    del document["step_count"]
    with pytest.raises(ValueError, match="lacks step_count"):
        ShiftProgress.from_json(document)
    with pytest.raises(ValueError, match="not a JSON object"):
        ShiftProgress.from_json([])
    with pytest.raises(ValueError, match="outcome 'lost'"):
        LastFailure.from_json({"reason": "x", "at": "2025-01-01T00:00:00+00:00", "outcome": "lost"})


def test_a_start_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ShiftProgress.begin(START, [], datetime(2025, 1, 1))
