"""One endpoint's part of `local apply`: roll back a shift a killed apply left, read the table the
routers serve, plan the steps to the config's table and walk them with the step engine.

The start is the table every router serves now, as its `/routing` reports it (revision and
buckets), not what the run record believes. `rollout.plan_steps` plans the steps under the
endpoint's `deployment_config` (a size in pods converted with the declared replicas of the versions
gaining share: `rollout.shift_step_percents`), and `rollout.run_shift` walks them on the endpoint's
routers (`LocalRouterControl`: each table written kubelet-style into every routing directory, each
router's revision read on its metrics port), baking with the endpoint's alarms read from the
routers' own metrics (`RouterMetricsStats`) and, for PromQL alarms, its `prometheus_url`. A table
with another default or control also re-renders the router's configuration and reloads it without
dropping a connection (`router_reload`). The run record follows every step (`ShiftRecorder`). Why
an interrupted shift is rolled back rather than completed: see `local_runtime.local_apply`. With
retained weights (`retain_all_variant_properties` without `DesiredWeight` excluded) the target is
the live table: nothing moves, and the event says which declared table was not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from local_runtime.alarm_sources import local_prometheus_query, local_router_stats
from local_runtime.apply_events import (
    ApplyEvent,
    ApplyEventSink,
    EndpointOutcome,
    EndpointUnchanged,
    InterruptedShiftFound,
    InterruptedShiftRolledBack,
    ShiftPlanned,
)
from local_runtime.errors import LocalRunError
from local_runtime.key_files import read_credentials
from local_runtime.planner import local_endpoint_spec
from local_runtime.router_control import LocalRouter, LocalRouterControl, served_table
from local_runtime.router_reload import RouterReconfiguration, local_router_renderer
from local_runtime.routing_record import LocalShift
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, RunState
from local_runtime.shift_recorder import ShiftRecorder, utc_now
from rollout import (
    Clock,
    PlannedStep,
    RollbackFailed,
    ShiftEvent,
    ShiftFailed,
    ShiftPolicy,
    ShiftResult,
    ShiftRolledBack,
    SystemClock,
    gaining_fleet,
    plan_steps,
    run_shift,
    shift_step_percents,
)
from rollout.replacement import ReplacementPlan
from rollout.shift_engine import BeforeStep
from rollout.shift_progress import LastFailure
from router.endpoint_router import CONFIG_FILE
from specification.alarms import AnyAlarm, PromQLAlarm, RouterMetricAlarm
from specification.deployment_config import TrafficRoutingConfiguration
from specification.endpoint import EndpointSpec
from specification.routing import RoutingError, RoutingTable

__all__ = ["EndpointShift", "ShiftTimings", "describe_policy", "endpoint_routers"]


@dataclass(frozen=True)
class ShiftTimings:
    """The engine's local timings: alarms read every `check_interval_seconds` during a bake,
    routers polled every `poll_interval_seconds` (their agents look at the routing directory
    every 0.1 s), `rollback_timeout_seconds` for every router to report a rolled-back table."""

    check_interval_seconds: float = 1.0
    poll_interval_seconds: float = 0.05
    rollback_timeout_seconds: float = 30.0
    clock: Clock = field(default_factory=SystemClock)


def describe_policy(routing: TrafficRoutingConfiguration | None, fleet: int | None = None) -> str:
    """`CANARY 10% of the change, then the rest; 300 s bake after each step`; a size in pods
    with the `fleet` it is a share of: `CANARY 1 of 2 pods (50% of the change), then the rest`."""
    if routing is None:
        return "one step (no deployment_config)"
    bake = f"{routing.wait_interval_in_seconds} s bake after each step"
    size = routing.size
    if size is None:
        return f"ALL_AT_ONCE; {bake}"
    share = f"{size.value}% of the change"
    if routing.counts_instances:
        share = f"{size.value} pod{'s' if size.value != 1 else ''}"
        if fleet:
            share = f"{size.value} of {fleet} pods ({100 * size.value / fleet:.4g}% of the change)"
    if routing.canary_size is not None:
        return f"CANARY {share}, then the rest; {bake}"
    return f"LINEAR steps of {share}; {bake}"


def endpoint_routers(
    layout: RunLayout, name: str, entry: EndpointState
) -> tuple[LocalRouter, ...]:
    """The routers of endpoint `name` of a local run: one, as `local up` starts one per endpoint
    (the control and the recovery work on any number, as a cluster's several pods)."""
    return (LocalRouter(layout.routing_dir(name), entry.metrics_port),)


def _alarms(spec: EndpointSpec) -> tuple[AnyAlarm, ...]:
    config = spec.deployment_config
    rollback = config.auto_rollback_configuration if config is not None else None
    return tuple(rollback.alarms or ()) if rollback is not None else ()


def _interrupted(shift: LocalShift | None, revision: int) -> LastFailure:
    """The last failure of a shift whose `local apply` died, once rolled back as `revision`: the
    starting table is live again, so it is a rollback, not a shift left stopped."""
    where, driver = "", "the `local apply` driving it"
    if shift is not None:
        progress = shift.progress
        where = f" at step {progress.step} of {progress.step_count} ({progress.phase})"
        if shift.driver is not None:
            driver += f" (pid {shift.driver.pid})"
    return LastFailure(
        f"a traffic shift stopped{where} when {driver} died; the next `local apply` rolled it "
        f"back: the starting table is live again on every router (revision {revision})",
        utc_now().isoformat(timespec="milliseconds"),
        "rolled_back",
    )


class EndpointShift:
    """Apply one endpoint's new spec to its routers (see the module docstring); `run()` once."""

    def __init__(
        self,
        stack: str,
        timings: ShiftTimings,
        layout: RunLayout,
        state: RunState,
        name: str,
        spec: EndpointSpec,
        sink: ApplyEventSink | None,
    ) -> None:
        self.stack = stack
        self.timings = timings
        self.layout = layout
        self.state = state
        self.name = name
        self.spec = spec
        local_spec = local_endpoint_spec(spec)
        assert local_spec is not None, "a running endpoint keeps a runnable version"
        self.local_spec = local_spec
        self.sink = sink
        self.recorder = ShiftRecorder(layout, state, name)
        entry = state.endpoints[name]
        self.routers = endpoint_routers(layout, name, entry)
        self.planned: ShiftPlanned | None = None
        self.recovered: int | None = None

    def emit(self, event: ApplyEvent) -> None:
        if self.sink is not None:
            self.sink(self.name, event)

    def control(self, *tables: RoutingTable) -> LocalRouterControl:
        """The routers, recording each write first, reloading them if `tables` differ in default
        or control."""
        return LocalRouterControl(
            self.routers,
            before_write=self.recorder.before_write,
            after_write=self.reconfiguration(*tables),
        )

    def reconfiguration(self, *tables: RoutingTable) -> RouterReconfiguration | None:
        if len({(t.default_version, t.control_version) for t in tables}) <= 1:
            return None
        entry = self.recorder.entry
        hashes = read_credentials(self.layout.keys_dir, self.name).key_hashes()
        render = local_router_renderer(self.layout, entry, self.local_spec, hashes)
        routers = [p for p in self.state.processes if p.kind == "router"]
        router = next((p for p in routers if p.name == f"{self.name}-router"), None)
        cfg_path = self.layout.router_dir(self.name) / CONFIG_FILE
        refusal = (
            f"endpoint {self.name}: changing the default or control version reloads the router "
            "with a configuration rendered again from the run's record, and {why}; restart the "
            f"run to make this change: `model-endpoints local down --stack {self.stack}` "
            f"then `model-endpoints local up --stack {self.stack}`"
        )
        if render is None or router is None:
            raise LocalRunError(refusal.format(why="this run's record lacks the router's site"))
        reconfiguration = RouterReconfiguration(render, cfg_path, router, self.state.marker)
        if not any(reconfiguration.matches(table) for table in tables):
            raise LocalRunError(
                refusal.format(why=f"{cfg_path} is not what that record renders for the live table")
            )
        return reconfiguration

    # ------------------------------------------------------------------ the live table

    def live_table(self) -> tuple[RoutingTable, int]:
        """The table every router serves now and its revision, from their `/routing`."""
        entry = self.recorder.entry
        assert entry.routing is not None
        reports = LocalRouterControl(self.routers).reports()
        for router, report in zip(self.routers, reports):
            if report is None or report.revision is None or report.buckets is None:
                raise LocalRunError(
                    f"the router of endpoint {self.name} does not report the table it serves on "
                    f"GET /routing (metrics port {router.metrics_port}): "
                    f"`model-endpoints local status --stack {self.stack}` shows what is "
                    "down; restart the run if the router or its agent died"
                )
        assert all(report is not None for report in reports)
        served = {(r.revision, tuple(sorted((r.buckets or {}).items()))) for r in reports if r}
        if len(served) > 1:
            raise LocalRunError(
                f"the routers of endpoint {self.name} serve different tables ({sorted(served)}) "
                "and no shift is recorded; restart the run"
            )
        first = reports[0]
        assert first is not None and first.buckets is not None and first.revision is not None
        recorded = entry.routing.table
        try:
            table = served_table(
                first.buckets,
                [v.name for v in self.local_spec.versions],
                recorded.default_version,
                recorded.control_version,
            )
        except RoutingError as error:
            raise LocalRunError(
                f"the router of endpoint {self.name} serves a table that is not one of this "
                f"endpoint's ({error}); restart the run"
            ) from None
        return table, max(first.revision, entry.routing.revision)

    # ------------------------------------------------------------------ an interrupted shift

    def roll_back_interrupted(self) -> int | None:
        """Roll back a shift left by a killed `local apply`; the revision it took, or None.

        The endpoint's `routing` still holds the starting table (it changes only when a shift
        ends); the new revision is above every one the record, a routing directory or a router
        names."""
        entry = self.recorder.entry
        if entry.shift is None:
            return None
        assert entry.routing is not None
        start = entry.routing.table
        shift = self.recorder.recorded()  # None if malformed: the rollback needs only `routing`
        reading = LocalRouterControl(self.routers)
        reported = tuple(reading.applied_revisions())
        known = [entry.routing.revision, *reported, *reading.written_revisions()]
        if shift is not None and shift.driver is not None:
            known.append(shift.driver.revision)
        revision = max(r for r in known if r is not None) + 1
        self.emit(InterruptedShiftFound(shift, reported, revision))
        self.recorder.rolling_back()
        target = shift.driver.target if shift and shift.driver else self.local_spec.routing
        control = self.control(start, target)
        control.apply(start, revision)
        late = self.wait_reported(control, revision)
        if late is not None:
            raise LocalRunError(
                f"endpoint {self.name}: rolling back the interrupted shift wrote its starting "
                f"table as revision {revision}, but not every router reported it within "
                f"{self.timings.rollback_timeout_seconds:g} s (reported: {late}); the record "
                "stays, so the next `local apply` tries again"
            )
        self.recorder.rolled_back(start, revision, _interrupted(shift, revision))
        self.emit(InterruptedShiftRolledBack(start, revision))
        return revision

    def wait_reported(self, control: LocalRouterControl, revision: int) -> list[int | None] | None:
        """Wait until every router reports `revision` (None), or, after the rollback timeout,
        what they report instead."""
        clock = self.timings.clock
        deadline = clock.now() + self.timings.rollback_timeout_seconds
        while True:
            reported = list(control.applied_revisions())
            if all(r == revision for r in reported):
                return None
            if clock.now() > deadline:
                return reported
            clock.sleep(self.timings.poll_interval_seconds)

    # ------------------------------------------------------------------ the shift

    def failed(self, error: ShiftFailed) -> EndpointOutcome:
        """The outcome of a shift that failed with `error` (rolled back, or worse)."""
        planned = self.planned
        assert planned is not None, "a shift fails only once planned"
        rolled_back = isinstance(error, ShiftRolledBack)
        return EndpointOutcome(
            self.name,
            "rolled_back" if rolled_back else "rollback_failed",
            planned.start,
            planned.start_revision,
            planned.target,
            planned.start,
            error.revision if isinstance(error, ShiftRolledBack) else planned.start_revision,
            planned.steps,
            recovered=self.recovered,
            failure=str(error) if rolled_back else f"rollback failed: {error}",
        )

    def target(self, start: RoutingTable) -> RoutingTable:
        """The table this apply moves to: the config's, or, when weights are retained, the live
        `start` with the config's default and control (roles, not weights), as the TrafficSplit
        keeps it (`provider.split_retention`)."""
        declared = self.local_spec.routing
        if not self.spec.retains_weights:
            return declared
        return RoutingTable(start.steps, declared.default_version, declared.control_version)

    def policy(self, plan: ReplacementPlan | None = None) -> ShiftPolicy:
        """The engine's limits: the endpoint's policy (or a replacement `plan`'s termination wait
        and deadline, a guarded rolling update's among them) with the local timings."""
        config = self.spec.deployment_config
        timings = self.timings
        policy = ShiftPolicy.from_spec(
            config.blue_green_update_policy if config is not None else None,
            check_interval_seconds=timings.check_interval_seconds,
            poll_interval_seconds=timings.poll_interval_seconds,
            rollback_timeout_seconds=timings.rollback_timeout_seconds,
        )
        if plan is None:
            return policy
        return replace(
            policy,
            termination_wait_seconds=plan.termination_wait_seconds,
            max_execution_seconds=plan.max_execution_seconds,
        )

    def walk(
        self,
        start: RoutingTable,
        start_revision: int,
        target: RoutingTable,
        steps: tuple[PlannedStep, ...],
        control: LocalRouterControl,
        description: str,
        before_step: BeforeStep | None = None,
        plan: ReplacementPlan | None = None,
    ) -> ShiftResult:
        """Walk `steps` from `start` (live as `start_revision`) on `control` with the endpoint's
        policy and alarms (the routers' own metrics and agents; PromQL from `prometheus_url`),
        the record following every event; `before_step` as `run_shift` takes it; a replacement
        passes its `plan` (its limits are the engine's). The engine's
        failures propagate: the caller records them (what is live after a rollback is the
        caller's to say)."""
        timings = self.timings
        policy = self.policy(plan)
        alarms = _alarms(self.spec)
        stats = None
        if any(isinstance(alarm, RouterMetricAlarm) for alarm in alarms):
            ports = [router.metrics_port for router in self.routers]
            stats = local_router_stats(ports, timings.clock.now, timings.check_interval_seconds / 2)
        prom = None
        if any(isinstance(alarm, PromQLAlarm) for alarm in alarms) and self.spec.prometheus_url:
            prom = local_prometheus_query(self.spec.prometheus_url)
        self.planned = ShiftPlanned(
            start, start_revision, target, steps, policy.termination_wait_seconds, description
        )
        self.emit(self.planned)
        self.recorder.begin(start, start_revision, target, steps, policy.termination_wait_seconds)

        def on_event(event: ShiftEvent) -> None:
            self.recorder.on_event(event)
            self.emit(event)

        return run_shift(
            start,
            steps,
            start_revision=start_revision,
            routers=control,
            clock=timings.clock,
            policy=policy,
            alarms=alarms,
            stats=stats,
            prom=prom,
            on_event=on_event,
            before_step=before_step,
        )

    def run(self) -> EndpointOutcome:
        recovered = self.recovered = self.roll_back_interrupted()
        start, start_revision = self.live_table()
        target = self.target(start)
        config = self.spec.deployment_config
        policy = config.blue_green_update_policy if config is not None else None
        routing = policy.traffic_routing_configuration if policy is not None else None
        versions = self.local_spec.versions
        try:
            percents = shift_step_percents(policy, start, target, versions)
            counts = routing is not None and routing.counts_instances
            fleet = gaining_fleet(start, target, versions) if counts else None
        except ValueError as error:
            raise LocalRunError(
                f"endpoint {self.name}: the traffic change cannot be planned: {error}; its "
                f"routers keep serving revision {start_revision}"
            ) from None
        steps = tuple(plan_steps(start, target, routing, percents=percents))
        spec_json = self.spec.model_dump(mode="json")
        if not steps:
            declared = self.local_spec.routing
            self.recorder.unchanged(start, start_revision, spec_json)
            self.emit(
                EndpointUnchanged(
                    start, start_revision, declared if declared.steps != start.steps else None
                )
            )
            return EndpointOutcome(
                self.name, "unchanged", start, start_revision, target, start, start_revision,
                recovered=recovered,
            )
        try:
            result = self.walk(
                start, start_revision, target, steps, self.control(start, target),
                describe_policy(routing, fleet),
            )
        except ShiftRolledBack as rolled:
            failure = LastFailure.from_error(rolled, utc_now())
            self.recorder.rolled_back(start, rolled.revision, failure)
            raise
        except RollbackFailed as unconfirmed:
            self.recorder.failed(unconfirmed)
            raise
        self.recorder.completed(target, result.revision, spec_json)
        return EndpointOutcome(
            self.name, "shifted", start, start_revision, target, target, result.revision,
            steps, result, recovered,
        )
