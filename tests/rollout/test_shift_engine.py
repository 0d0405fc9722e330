"""Tests for rollout.shift_engine: the step engine driven through fakes (a fake clock, routers that
lag, scripted stats and PromQL values), with limits below the spec's minimums where a test needs
a deadline to pass."""

from __future__ import annotations

from typing import Any

import pytest

from rollout.alarm_readings import NO_P99
from rollout.protocols import WindowStats
from rollout.shift_engine import ShiftPolicy, run_shift
from rollout.shift_errors import RollbackFailed, ShiftRolledBack
from rollout.shift_events import (
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
from rollout.steps import PlannedStep, plan_steps
from specification.alarms import PromQLAlarm, RouterMetricAlarm
from specification.deployment_config import BlueGreenUpdatePolicy, TrafficRoutingConfiguration
from specification.routing import RoutingTable, routing_table
from tests.rollout.shift_fakes import (
    FailingStats,
    FakeClock,
    FakeRouter,
    FakeRouters,
    ScriptedPromQuery,
    ScriptedStats,
)

START_REVISION = 5
HEALTHY = WindowStats(requests=500, errors_5xx=1)
FAILING = WindowStats(requests=100, errors_5xx=50)


def _routing(type_: str, size: int | None, wait: int) -> TrafficRoutingConfiguration:
    data: dict[str, Any] = {"type": type_, "wait_interval_in_seconds": wait}
    if type_ == "CANARY":
        data["canary_size"] = {"type": "CAPACITY_PERCENT", "value": size}
    if type_ == "LINEAR":
        data["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": size}
    return TrafficRoutingConfiguration.model_validate(data)


def _5xx_alarm(threshold: float = 0.05, min_requests: int = 20) -> RouterMetricAlarm:
    return RouterMetricAlarm(
        alarm_name="canary-5xx",
        metric="5xx_ratio",
        threshold=threshold,
        window_seconds=30,
        min_requests=min_requests,
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[ShiftEvent] = []

    def __call__(self, event: ShiftEvent) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    def kinds(self) -> list[str]:
        return [type(event).__name__ for event in self.events]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _routers(clock: FakeClock, *routers: FakeRouter) -> FakeRouters:
    return FakeRouters(clock, routers or (FakeRouter(START_REVISION), FakeRouter(START_REVISION)))


def _policy(**limits: float) -> ShiftPolicy:
    defaults: dict[str, float] = {"check_interval_seconds": 5, "poll_interval_seconds": 0.5}
    return ShiftPolicy(**{**defaults, **limits})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- completing


def test_a_linear_shift_reaches_its_target_in_the_planned_steps(clock: FakeClock) -> None:
    start = routing_table({"versiona": 90, "versionb": 10}, "versiona")
    new = routing_table({"versiona": 60, "versionb": 40}, "versiona")
    steps = plan_steps(start, new, _routing("LINEAR", 25, wait=30))
    routers = _routers(clock)
    stats = ScriptedStats(clock, {"versionb": HEALTHY, "versiona": HEALTHY})
    events = Recorder()

    result = run_shift(
        start,
        steps,
        start_revision=START_REVISION,
        routers=routers,
        clock=clock,
        policy=_policy(termination_wait_seconds=20),
        alarms=[_5xx_alarm()],
        stats=stats,
        on_event=events,
    )

    written = [(table.traffic, revision) for table, revision, _ in routers.writes]
    assert written == [
        ({"versiona": 82.5, "versionb": 17.5}, 6),
        ({"versiona": 75.0, "versionb": 25.0}, 7),
        ({"versiona": 67.5, "versionb": 32.5}, 8),
        ({"versiona": 60.0, "versionb": 40.0}, 9),
    ]
    assert routers.last_table == new
    assert (result.revision, result.steps_applied) == (9, 4)
    assert [timing.bake_seconds for timing in result.steps] == [30] * 4
    assert result.termination_wait_seconds == 20
    assert result.duration_seconds == 4 * 30 + 20
    # alarms are read on the version gaining share only, at each bake's start, every 5 s, at its end
    assert {version for _, version, _ in stats.calls} == {"versionb"}
    assert len(stats.calls) == 4 * 7 + 5
    assert [e.percent_of_change for e in events.of(StepApplied)] == [25.0, 50.0, 75.0, 100.0]
    assert [(e.revision, e.routers) for e in events.of(RoutersCaughtUp)] == [
        (6, 2), (7, 2), (8, 2), (9, 2),
    ]
    assert [(e.step, e.phase) for e in events.of(BakeFinished)] == [
        (1, "step"), (2, "step"), (3, "step"), (4, "step"), (4, "termination"),
    ]
    assert all(r.state == "ok" for e in events.of(BakeProgress) for r in e.readings)
    assert events.kinds()[:4] == ["StepApplied", "RoutersCaughtUp", "BakeProgress", "BakeProgress"]
    assert events.events[-1] == ShiftCompleted(9, 4, 140.0)


def test_no_policy_is_one_step_with_no_bake(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 50, "b": 50}, "a")
    routers = _routers(clock)

    result = run_shift(
        start, plan_steps(start, new, None), start_revision=0, routers=routers, clock=clock
    )

    assert [(table, revision) for table, revision, _ in routers.writes] == [(new, 1)]
    assert (result.revision, result.steps_applied, result.duration_seconds) == (1, 1, 0)


def test_no_change_writes_nothing(clock: FakeClock) -> None:
    table = routing_table({"a": 100}, "a")
    routers = _routers(clock)
    events = Recorder()

    result = run_shift(
        table, [], start_revision=7, routers=routers, clock=clock, on_event=events
    )

    assert routers.writes == []
    assert (result.revision, result.steps_applied) == (7, 0)
    assert events.kinds() == ["ShiftCompleted"]


# --------------------------------------------------------------------------- alarms


def test_a_canary_to_a_failing_version_is_rolled_back_at_its_first_bake(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    steps = plan_steps(start, new, _routing("CANARY", 10, wait=60))
    routers = _routers(clock)
    stats = ScriptedStats(clock, {"b": FAILING, "a": HEALTHY})
    events = Recorder()

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=START_REVISION,
            routers=routers,
            clock=clock,
            policy=_policy(),
            alarms=[_5xx_alarm()],
            stats=stats,
            on_event=events,
        )

    # step 1 (the canary) then the starting table again, each with its own revision
    assert [(table.traffic, revision) for table, revision, _ in routers.writes] == [
        ({"a": 90.0, "b": 10.0}, 6),
        ({"a": 100.0, "b": 0.0}, 7),
    ]
    assert routers.last_table == start
    assert [r.poll() for r in routers.routers] == [7, 7]
    error = raised.value
    assert error.revision == 7
    assert error.failure.kind == "alarm"
    assert (error.failure.step, error.failure.step_count) == (1, 2)
    assert error.failure.reading is not None and error.failure.reading.value == 0.5
    message = str(error)
    for part in (
        "'canary-5xx'",
        "5xx_ratio of b = 0.5 > threshold 0.05",
        "(100 requests in 30 s)",
        "at step 1 of 2",
        "10% of the change had moved (a 100% -> 90%, b 0% -> 10%)",
        "revision 7",
    ):
        assert part in message, (part, message)
    # the breach was read at the bake's first check: nothing more was baked or applied
    assert [(version, seconds) for _, version, seconds in stats.calls] == [("b", 30)]
    assert events.kinds()[-2:] == ["RollingBack", "RolledBack"]
    assert events.of(RollingBack)[0].revision == 7
    assert events.of(RolledBack)[0].revision == 7
    assert not events.of(BakeFinished)


def test_min_requests_gates_a_judgement(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    steps = plan_steps(start, new, _routing("CANARY", 10, wait=10))
    # every request of the canary fails, but there are 19 of them: not judged
    stats = ScriptedStats(clock, {"b": WindowStats(requests=19, errors_5xx=19)})
    events = Recorder()

    result = run_shift(
        start,
        steps,
        start_revision=0,
        routers=_routers(clock),
        clock=clock,
        policy=_policy(),
        alarms=[_5xx_alarm(min_requests=20)],
        stats=stats,
        on_event=events,
    )

    assert result.steps_applied == 2
    readings = [r for e in events.of(BakeProgress) for r in e.readings]
    assert readings and {r.state for r in readings} == {"not_enough_data"}
    assert "min_requests 20" in readings[0].describe()

    # the 20th request makes it a judgement, and a breach
    stats.script["b"] = WindowStats(requests=20, errors_5xx=19)
    routers = _routers(clock)
    with pytest.raises(ShiftRolledBack, match="0.95 > threshold 0.05"):
        run_shift(
            start,
            steps,
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            alarms=[_5xx_alarm(min_requests=20)],
            stats=stats,
        )
    assert routers.last_table == start


def test_a_breach_mid_bake_after_healthy_readings(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 50, "b": 50}, "a")
    steps = plan_steps(start, new, _routing("LINEAR", 50, wait=60))
    began = clock.time
    # b turns bad 80 s into the shift: during step 2's bake
    stats = ScriptedStats(
        clock, {"b": lambda now: FAILING if now - began >= 80 else HEALTHY}
    )
    routers = _routers(clock)

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            alarms=[_5xx_alarm()],
            stats=stats,
        )

    assert clock.time - began == 80
    assert "at step 2 of 2" in str(raised.value)
    assert "100% of the change had moved (a 100% -> 50%, b 0% -> 50%)" in str(raised.value)
    assert [revision for _, revision, _ in routers.writes] == [1, 2, 3]
    assert routers.last_table == start


def test_a_breach_in_the_termination_wait_rolls_the_whole_shift_back(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    steps = plan_steps(start, new, _routing("CANARY", 10, wait=10))
    began = clock.time
    stats = ScriptedStats(clock, {"b": lambda now: FAILING if now - began > 25 else HEALTHY})
    routers = _routers(clock)

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(termination_wait_seconds=30),
            alarms=[_5xx_alarm()],
            stats=stats,
        )

    assert "in the termination wait after step 2 of 2" in str(raised.value)
    assert raised.value.failure.phase == "termination"
    assert routers.last_table == start


def test_a_p99_alarm_without_latency_data_is_never_a_breach_and_says_so(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    p99 = RouterMetricAlarm.model_construct(alarm_name="slow", metric="p99_latency_ms", threshold=200)
    stats = ScriptedStats(clock, {"b": WindowStats(requests=1000, errors_5xx=0, p99_ms=None)})
    events = Recorder()

    result = run_shift(
        start,
        plan_steps(start, new, _routing("CANARY", 10, wait=10)),
        start_revision=0,
        routers=_routers(clock),
        clock=clock,
        policy=_policy(),
        alarms=[p99],
        stats=stats,
        on_event=events,
    )

    assert result.steps_applied == 2
    readings = [r for e in events.of(BakeProgress) for r in e.readings]
    assert readings and all(r.state == "not_enough_data" and r.detail == NO_P99 for r in readings)

    # with a latency, the same alarm judges it
    stats.script["b"] = WindowStats(requests=1000, errors_5xx=0, p99_ms=250.0)
    with pytest.raises(ShiftRolledBack, match=r"p99_latency_ms of b = 250 > threshold 200"):
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=10)),
            start_revision=0,
            routers=_routers(clock),
            clock=clock,
            policy=_policy(),
            alarms=[p99],
            stats=stats,
        )


@pytest.mark.parametrize(
    ("operator", "value", "breach"),
    [
        ("GreaterThanThreshold", 0.99, False),
        ("GreaterThanThreshold", 0.995, True),
        ("GreaterThanOrEqualToThreshold", 0.99, True),
        ("GreaterThanOrEqualToThreshold", 0.98, False),
        ("LessThanThreshold", 0.99, False),
        ("LessThanThreshold", 0.98, True),
        ("LessThanOrEqualToThreshold", 0.99, True),
        ("LessThanOrEqualToThreshold", 0.995, False),
    ],
)
def test_a_promql_alarm_compares_with_its_operator(
    clock: FakeClock, operator: str, value: float, breach: bool
) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    expression = 'sum(rate(ok_total[1m])) / sum(rate(all_total[1m]))'
    alarm = PromQLAlarm(
        alarm_name="success-rate", promql=expression, threshold=0.99, comparison_operator=operator
    )
    prom = ScriptedPromQuery({expression: value})
    routers = _routers(clock)

    def shift() -> None:
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=10)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            alarms=[alarm],
            prom=prom,
        )

    if breach:
        with pytest.raises(ShiftRolledBack) as raised:
            shift()
        assert "alarm 'success-rate' breached" in str(raised.value)
        assert f"{expression} = {value:g}" in str(raised.value)
        assert routers.last_table == start
        assert len(prom.calls) == 1
    else:
        shift()
        assert routers.last_table == new
        assert len(prom.calls) == 2 * 3  # two bakes of 10 s: at 0, 5 and 10 s


def test_a_promql_alarm_without_a_result_is_no_data(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    alarm = PromQLAlarm(alarm_name="errors", promql="sum(rate(x[1m]))", threshold=0)
    events = Recorder()

    run_shift(
        start,
        plan_steps(start, new, _routing("CANARY", 10, wait=10)),
        start_revision=0,
        routers=_routers(clock),
        clock=clock,
        policy=_policy(),
        alarms=[alarm],
        prom=ScriptedPromQuery({"sum(rate(x[1m]))": None}),
        on_event=events,
    )

    states = {r.state for e in events.of(BakeProgress) for r in e.readings}
    assert states == {"no_data"}


def test_an_alarm_that_cannot_be_read_ends_the_shift(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    stats = FailingStats()
    routers = _routers(clock)

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=60)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(max_consecutive_read_errors=3),
            alarms=[_5xx_alarm()],
            stats=stats,
        )

    assert stats.calls == 3
    assert raised.value.failure.kind == "unreadable_alarm"
    assert "could not be read 3 times in a row" in str(raised.value)
    assert "ConnectionRefusedError: router metrics unreachable" in str(raised.value)
    assert routers.last_table == start


# --------------------------------------------------------------------------- routers and time


def test_a_router_that_has_not_applied_the_step_holds_the_bake(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    steps = plan_steps(start, new, _routing("CANARY", 10, wait=10))
    # the second router applies each table 6 polls (3 s) late, the third answers nothing twice
    routers = _routers(
        clock,
        FakeRouter(START_REVISION),
        FakeRouter(START_REVISION, lag_polls=6),
        FakeRouter(START_REVISION, silent_polls=2),
    )
    stats = ScriptedStats(clock, {"b": HEALTHY})
    events = Recorder()

    result = run_shift(
        start,
        steps,
        start_revision=START_REVISION,
        routers=routers,
        clock=clock,
        policy=_policy(),
        alarms=[_5xx_alarm()],
        stats=stats,
        on_event=events,
    )

    applied_at = {revision: at for _, revision, at in routers.writes}
    caught_up = events.of(RoutersCaughtUp)
    assert [(e.revision, e.waited_seconds, e.routers) for e in caught_up] == [
        (6, 3.0, 3),
        (7, 3.0, 3),
    ]
    # no alarm was read (no bake ran) before every router reported the step
    first_read = min(at for at, _, _ in stats.calls)
    assert first_read == applied_at[6] + 3.0
    pending = events.of(RoutersPending)
    assert pending[0].reported == (6, 5, None)
    assert (6, 6, 6) not in [e.reported for e in pending]
    # the lag did not shorten the bakes: each baked its full 10 s
    assert [t.bake_seconds for t in result.steps] == [10, 10]
    assert [t.catch_up_seconds for t in result.steps] == [3.0, 3.0]


def test_a_failed_poll_holds_like_a_silent_router(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(clock)
    failures = [ConnectionResetError("API server went away")] * 3
    answer = routers.applied_revisions

    def flaky() -> list[int | None]:
        if failures:
            raise failures.pop()
        return answer()

    routers.applied_revisions = flaky  # type: ignore[method-assign]
    events = Recorder()

    result = run_shift(
        start,
        plan_steps(start, new, None),
        start_revision=0,
        routers=routers,
        clock=clock,
        policy=_policy(),
        on_event=events,
    )

    assert result.steps[0].catch_up_seconds == 1.5  # three failed polls, 0.5 s apart
    pending = events.of(RoutersPending)
    assert len(pending) == 1  # reported once, not on every failed poll
    assert pending[0].reported == ()
    assert pending[0].error == "ConnectionResetError: API server went away"


def test_the_execution_timeout_rolls_back_while_a_router_lags(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    steps = plan_steps(start, new, _routing("CANARY", 10, wait=2))
    # one router never applies step 2 (revision 7), but does apply the rollback (revision 8)
    routers = _routers(clock, FakeRouter(START_REVISION), FakeRouter(START_REVISION, ignores={7}))

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=START_REVISION,
            routers=routers,
            clock=clock,
            policy=_policy(max_execution_seconds=10),  # the spec's minimum is 600
        )

    failure = raised.value.failure
    assert (failure.kind, failure.timeout_seconds, failure.step, failure.phase) == (
        "timeout", 10, 2, "catch_up"
    )
    message = str(raised.value)
    assert "the maximum execution timeout of 10 s passed while waiting for every router" in message
    assert "revision 7 (reported: 7, 6)" in message
    assert "at step 2 of 2" in message
    assert "was moving (not every router had it)" in message
    assert [revision for _, revision, _ in routers.writes] == [6, 7, 8]
    assert routers.last_table == start
    assert raised.value.revision == 8


def test_the_execution_timeout_rolls_back_during_a_bake(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    began = clock.time
    routers = _routers(clock)

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=30)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(max_execution_seconds=12),
        )

    assert clock.time - began == 12
    assert "passed while baking (step 1's bake, 12 of 30 s)" in str(raised.value)
    assert routers.last_table == start


def test_a_failed_write_rolls_back(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(clock)
    routers.fail_on_write = {2}

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=5)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
        )

    assert raised.value.failure.kind == "apply_failed"
    assert "writing step 2's table as revision 2 failed: OSError" in str(raised.value)
    assert isinstance(raised.value.__cause__, OSError)
    assert [revision for _, revision, _ in routers.writes] == [1, 3]
    assert routers.last_table == start


def test_a_rollback_that_cannot_be_written_leaves_the_state_unknown(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(clock)
    routers.fail_on_write = {3}
    stats = ScriptedStats(
        clock, {"b": lambda now: FAILING if routers.writes[-1][1] == 2 else HEALTHY}
    )

    with pytest.raises(RollbackFailed) as raised:
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=5)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            alarms=[_5xx_alarm()],
            stats=stats,
        )

    message = str(raised.value)
    assert message.startswith("routers' state unknown")
    assert "alarm 'canary-5xx' breached" in message
    assert "writing the starting table as revision 3 raised OSError" in message
    assert "the last revision every router confirmed is 2 (step 2 of 2's table)" in message
    assert raised.value.last_confirmed_revision == 2
    assert raised.value.attempted_revision == 3


def test_a_rollback_the_routers_never_report_leaves_the_state_unknown(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(
        clock, FakeRouter(START_REVISION), FakeRouter(START_REVISION, ignores={6, 7})
    )

    with pytest.raises(RollbackFailed) as raised:
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=5)),
            start_revision=START_REVISION,
            routers=routers,
            clock=clock,
            policy=_policy(max_execution_seconds=4, rollback_timeout_seconds=3),
        )

    message = str(raised.value)
    assert "did not all report the starting table within 3 s" in message
    assert "revision 7 (reported: 7, 5)" in message
    assert (
        "no revision of this shift was confirmed by every router "
        f"(it started from revision {START_REVISION})"
    ) in message
    assert raised.value.last_confirmed_revision is None


def test_no_router_at_all_is_not_caught_up(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = FakeRouters(clock, [])

    with pytest.raises(RollbackFailed, match=r"reported: no router"):
        run_shift(
            start,
            plan_steps(start, new, None),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(max_execution_seconds=2, rollback_timeout_seconds=1),
        )


# --------------------------------------------------------------------------- interruptions


def test_an_event_sink_that_raises_rolls_back_and_is_not_called_again(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(clock)
    seen: list[ShiftEvent] = []

    def sink(event: ShiftEvent) -> None:
        seen.append(event)
        if isinstance(event, RoutersCaughtUp):
            raise RuntimeError("progress bar broke")

    stopped = "the shift stopped: RuntimeError: progress bar broke"
    with pytest.raises(ShiftRolledBack, match=stopped):
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=5)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            on_event=sink,
        )

    assert routers.last_table == start
    assert [type(e).__name__ for e in seen] == ["StepApplied", "RoutersCaughtUp"]


def test_an_interrupt_mid_bake_rolls_back_then_goes_through(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(clock)
    interrupted = False

    def sink(event: ShiftEvent) -> None:
        nonlocal interrupted
        if isinstance(event, BakeProgress) and event.baked_seconds >= 5 and not interrupted:
            interrupted = True
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_shift(
            start,
            plan_steps(start, new, _routing("CANARY", 10, wait=30)),
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            on_event=sink,
        )

    assert [revision for _, revision, _ in routers.writes] == [1, 2]
    assert routers.last_table == start
    assert [r.poll() for r in routers.routers] == [2, 2]


# --------------------------------------------------------------------------- arguments


def test_alarms_need_their_readers_before_anything_is_written(clock: FakeClock) -> None:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "b")
    routers = _routers(clock)
    steps = plan_steps(start, new, None)
    with pytest.raises(ValueError, match="router-metric alarms need a VersionStats"):
        run_shift(
            start, steps, start_revision=0, routers=routers, clock=clock, alarms=[_5xx_alarm()]
        )
    promql = PromQLAlarm(alarm_name="p", promql="up", threshold=1)
    with pytest.raises(ValueError, match="PromQL alarms need a PromQuery"):
        run_shift(start, steps, start_revision=0, routers=routers, clock=clock, alarms=[promql])
    assert routers.writes == []


def test_policy_from_the_spec() -> None:
    spec = BlueGreenUpdatePolicy.model_validate(
        {
            "traffic_routing_configuration": {
                "type": "ALL_AT_ONCE",
                "wait_interval_in_seconds": 60,
            },
            "termination_wait_in_seconds": 120,
            "maximum_execution_timeout_in_seconds": 900,
        }
    )
    policy = ShiftPolicy.from_spec(spec, check_interval_seconds=1)
    assert (policy.termination_wait_seconds, policy.max_execution_seconds) == (120, 900)
    assert policy.check_interval_seconds == 1
    assert ShiftPolicy.from_spec(None) == ShiftPolicy()
    assert ShiftPolicy().max_execution_seconds == 600
    with pytest.raises(ValueError, match="check_interval_seconds must be above 0"):
        ShiftPolicy(check_interval_seconds=0)


def test_steps_with_a_custom_table_are_walked_as_given(clock: FakeClock) -> None:
    """The engine takes plain steps: a caller may plan its own (a test, a resumed shift)."""
    start = routing_table({"a": 100, "b": 0}, "a")
    half = RoutingTable({"a": 5000, "b": 5000}, "a")
    routers = _routers(clock)
    result = run_shift(
        start,
        [PlannedStep(half, 1, 50.0)],
        start_revision=3,
        routers=routers,
        clock=clock,
        policy=_policy(check_interval_seconds=0.25),
    )
    assert result.revision == 4
    assert result.steps[0].bake_seconds == 1


# --------------------------------------------------------------------------- before_step


def _canary_change() -> tuple[RoutingTable, RoutingTable, list[PlannedStep]]:
    start = routing_table({"a": 100, "b": 0}, "a")
    new = routing_table({"a": 0, "b": 100}, "a")
    return start, new, plan_steps(start, new, _routing("CANARY", 10, wait=10))


def test_before_step_runs_before_each_write_after_the_previous_bake(clock: FakeClock) -> None:
    start, new, steps = _canary_change()
    routers = _routers(clock)
    events = Recorder()
    calls: list[tuple[int, PlannedStep, int, list[str]]] = []

    def before_step(k: int, step: PlannedStep) -> None:
        calls.append((k, step, len(routers.writes), events.kinds()[-1:]))
        clock.sleep(3)  # starting pods takes time: the walk waits for it

    result = run_shift(
        start,
        steps,
        start_revision=START_REVISION,
        routers=routers,
        clock=clock,
        policy=_policy(),
        on_event=events,
        before_step=before_step,
    )

    # k from 0, with the step about to be written; none written yet for k, the bake of k-1 done
    assert [(k, step, written, last) for k, step, written, last in calls] == [
        (0, steps[0], 0, []),
        (1, steps[1], 1, ["BakeFinished"]),
    ]
    assert [revision for _, revision, _ in routers.writes] == [6, 7]
    assert routers.last_table == new
    assert result.duration_seconds == 3 + 10 + 3 + 10  # its time counts in the shift's


@pytest.mark.parametrize("failing_k", [0, 1])
def test_a_before_step_that_raises_rolls_the_shift_back_as_a_breach_does(
    clock: FakeClock, failing_k: int
) -> None:
    start, _, steps = _canary_change()
    routers = _routers(clock)
    events = Recorder()

    def before_step(k: int, step: PlannedStep) -> None:
        if k == failing_k:
            raise RuntimeError("green replica shop-vb-g2-2 did not become ready")

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=START_REVISION,
            routers=routers,
            clock=clock,
            policy=_policy(),
            on_event=events,
            before_step=before_step,
        )

    error = raised.value
    assert error.failure.kind == "prepare_failed"
    assert isinstance(error.__cause__, RuntimeError)
    # nothing written past the step that was live, then the starting table with the next revision
    forward = [({"a": 90.0, "b": 10.0}, 6)][:failing_k]
    rollback = 6 + failing_k
    assert [(t.traffic, r) for t, r, _ in routers.writes] == [*forward, (start.traffic, rollback)]
    assert routers.last_table == start
    assert [r.poll() for r in routers.routers] == [rollback, rollback]
    assert error.revision == rollback
    where = (
        "before step 1 of 2; no traffic had moved"
        if failing_k == 0
        else "at step 1 of 2; 10% of the change had moved (a 100% -> 90%, b 0% -> 10%)"
    )
    assert str(error) == (
        f"traffic shift rolled back: preparing step {failing_k + 1} failed: RuntimeError: green "
        f"replica shop-vb-g2-2 did not become ready {where}; the starting table is live again on "
        f"every router (revision {rollback})"
    )
    assert events.kinds()[-2:] == ["RollingBack", "RolledBack"]


def test_a_before_step_past_the_deadline_rolls_back_as_a_timeout(clock: FakeClock) -> None:
    start, _, steps = _canary_change()
    routers = _routers(clock)

    def before_step(k: int, step: PlannedStep) -> None:
        clock.sleep(100 if k == 1 else 0)

    with pytest.raises(ShiftRolledBack) as raised:
        run_shift(
            start,
            steps,
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(max_execution_seconds=60),
            before_step=before_step,
        )

    assert raised.value.failure.kind == "timeout"
    assert "the maximum execution timeout of 60 s passed while preparing step 2" in str(raised.value)
    assert [revision for _, revision, _ in routers.writes] == [1, 2]
    assert routers.last_table == start


def test_an_interrupt_in_before_step_rolls_back_and_goes_through(clock: FakeClock) -> None:
    start, _, steps = _canary_change()
    routers = _routers(clock)

    def before_step(k: int, step: PlannedStep) -> None:
        if k == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_shift(
            start,
            steps,
            start_revision=0,
            routers=routers,
            clock=clock,
            policy=_policy(),
            before_step=before_step,
        )
    assert routers.last_table == start
