"""`local apply`: move a running local run's traffic to what its stack config says now, each
endpoint under its `deployment_config`, as `pulumi up` moves a cluster's.

Under the run's apply lock (`apply_lock`), the config is read again with the loader `local up`
uses and compared with the spec recorded in the run record: a change beyond routing is refused
before anything is touched (`routing_change`). Then per endpoint, in config order:

1. a shift left behind by a `local apply` that was killed is rolled back (below);
2. the start is the table the routers serve now, as their `/routing` reports it (revision and
   buckets), not what the record believes;
3. `rollout.plan_steps` plans the steps to the config's table and `rollout.run_shift` walks them
   on the endpoint's routers (`LocalRouterControl`: each table written kubelet-style into every
   routing directory, each router's revision read on its metrics port), baking with the
   endpoint's alarms read from the routers' own metrics (`RouterMetricsStats`) and, for PromQL
   alarms, its `prometheus_url`. A table with another default or control also re-renders the
   router's configuration and reloads it without dropping a connection (`router_reload`);
4. the run record follows every step (`ShiftRecorder`), and on success holds the new table, its
   revision and the new spec. A rollback stops the apply: later endpoints are left as they are,
   and `ShiftFailedError` carries the engine's `ShiftRolledBack` (the message `up` gives).

An interrupted shift is rolled back, never completed. Its process died during a step or a bake,
so the step it was on was never judged by its alarms: the one table known good is the shift's
starting table. The record names it, and names a revision at least as high as any a router may
hold (it is written before the routers are), so the next apply writes the starting table with a
newer revision to every router, waits until every router reports it, and only then plans its own
shift, from that table, with every bake again. Each router always serves a complete table (each
write is one atomic swap per routing directory); after the rollback they all serve the same one.
This is what the engine itself does when a shift is interrupted by Ctrl-C or SIGTERM; the next
apply does it for a shift whose process was killed outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runtime.alarm_sources import local_prometheus_query, local_router_stats
from local_runtime.apply_events import (
    ApplyEvent,
    ApplyEventSink,
    ApplyReport,
    EndpointOutcome,
    EndpointUnchanged,
    InterruptedShiftFound,
    InterruptedShiftRolledBack,
    ShiftPlanned,
)
from local_runtime.apply_lock import apply_lock
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.key_files import read_credentials
from local_runtime.planner import local_endpoint_spec
from local_runtime.router_control import LocalRouter, LocalRouterControl, served_table
from local_runtime.router_reload import RouterReconfiguration, local_router_renderer
from local_runtime.routing_change import (
    RestartRequiredError,
    default_move_problem,
    stack_differences,
)
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, RunState, read_state
from local_runtime.shift_recorder import ShiftRecorder
from rollout import (
    Clock,
    ShiftEvent,
    ShiftFailed,
    ShiftPolicy,
    ShiftRolledBack,
    SystemClock,
    plan_steps,
    run_shift,
)
from router.endpoint_router import CONFIG_FILE
from specification.alarms import AnyAlarm, PromQLAlarm, RouterMetricAlarm
from specification.deployment_config import TrafficRoutingConfiguration
from specification.endpoint import EndpointSpec
from specification.routing import RoutingError, RoutingTable
from specification.stack_config import LoadedStack, load_stack

__all__ = [
    "ApplyRequest",
    "ShiftFailedError",
    "apply_local_changes",
    "describe_policy",
    "endpoint_routers",
]


@dataclass(frozen=True)
class ApplyRequest:
    """What `local apply` was asked to do, and the engine's local timings: alarms read every
    `check_interval_seconds` during a bake, routers polled every `poll_interval_seconds` (their
    agents look at the routing directory every 0.1 s), `rollback_timeout_seconds` for every
    router to report a rolled-back table."""

    stack: str
    config_file: Path
    run_dir: Path
    check_interval_seconds: float = 1.0
    poll_interval_seconds: float = 0.05
    rollback_timeout_seconds: float = 30.0
    clock: Clock = field(default_factory=SystemClock)


class ShiftFailedError(Exception):
    """A shift did not complete: `error` is the engine's `ShiftRolledBack` (or `RollbackFailed`),
    whose message is this one; `report` holds every endpoint reached, the failed one last."""

    def __init__(self, error: ShiftFailed, report: ApplyReport) -> None:
        super().__init__(str(error))
        self.error = error
        self.report = report


def describe_policy(routing: TrafficRoutingConfiguration | None) -> str:
    """`CANARY 10% of the change, then the rest; 300 s bake after each step`."""
    if routing is None:
        return "one step (no deployment_config)"
    bake = f"{routing.wait_interval_in_seconds} s bake after each step"
    if routing.canary_size is not None:
        return f"CANARY {routing.canary_size.value}% of the change, then the rest; {bake}"
    if routing.linear_step_size is not None:
        return f"LINEAR steps of {routing.linear_step_size.value}% of the change; {bake}"
    return f"ALL_AT_ONCE; {bake}"


def _running_state(layout: RunLayout, stack: str) -> RunState:
    state = read_state(layout)
    if state is None:
        raise NotRunningError(
            f"stack {stack} is not running locally (no {layout.state_file}); "
            f"`model-endpoints local up --stack {stack}` starts it"
        )
    if state.status != "running":
        raise LocalRunError(
            f"the local run of stack {stack} is still starting (or its `local up` failed); "
            "wait for `local up` to finish, or see `model-endpoints local status`"
        )
    return state


def _default_moves(
    stack: str, old: Mapping[str, Mapping[str, Any]], new: Mapping[str, EndpointSpec]
) -> None:
    """Refuse a default that moves as `pulumi up` would refuse it to (`default_move_problem`)."""
    lines = []
    for name, spec in old.items():
        problem = default_move_problem(EndpointSpec.model_validate(spec), new[name])
        if problem is not None:
            lines.append(f"  {name}: default_version: {problem}")
    if lines:
        raise LocalRunError(
            f"the config of stack {stack} moves a default version as `pulumi up` would refuse "
            "to; nothing was changed:\n" + "\n".join(lines)
        )


def _targets(stack: str, state: RunState, loaded: LoadedStack) -> dict[str, EndpointSpec]:
    """The new spec of every endpoint of the run, once the change is known to be routing only."""
    old: dict[str, dict[str, Any]] = {}
    for name, entry in state.endpoints.items():
        if entry.spec is None or entry.routing is None:
            raise LocalRunError(
                f"the local run of stack {stack} was started by an earlier model-endpoints that "
                "did not record its spec and routing, so `local apply` cannot compare the config "
                f"with it; restart it: `model-endpoints local down --stack {stack}` then "
                f"`model-endpoints local up --stack {stack}`"
            )
        old[name] = entry.spec
    specs = {spec.name: spec for spec in loaded.spec.endpoints}
    runnable = {n: s for n, s in specs.items() if n in old or local_endpoint_spec(s) is not None}
    new = {name: spec.model_dump(mode="json") for name, spec in runnable.items()}
    differences = stack_differences(old, new)
    if differences:
        raise RestartRequiredError(stack, differences)
    _default_moves(stack, old, runnable)
    return {name: runnable[name] for name in old}


def endpoint_routers(layout: RunLayout, name: str, entry: EndpointState) -> tuple[LocalRouter, ...]:
    """The routers of endpoint `name` of a local run: one, as `local up` starts one per endpoint
    (the control and the recovery work on any number, as a cluster's several pods)."""
    return (LocalRouter(layout.routing_dir(name), entry.metrics_port),)


def _alarms(spec: EndpointSpec) -> tuple[AnyAlarm, ...]:
    config = spec.deployment_config
    rollback = config.auto_rollback_configuration if config is not None else None
    return tuple(rollback.alarms or ()) if rollback is not None else ()


class _EndpointApply:
    """Apply one endpoint's new spec to its routers."""

    def __init__(
        self,
        request: ApplyRequest,
        layout: RunLayout,
        state: RunState,
        name: str,
        spec: EndpointSpec,
        sink: ApplyEventSink | None,
    ) -> None:
        self.request = request
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
            f"run to make this change: `model-endpoints local down --stack {self.request.stack}` "
            f"then `model-endpoints local up --stack {self.request.stack}`"
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
                    f"`model-endpoints local status --stack {self.request.stack}` shows what is "
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
        """Roll back a shift left by a killed `local apply`; the revision it took, or None."""
        entry = self.recorder.entry
        record = entry.shift
        if record is None:
            return None
        reported = tuple(LocalRouterControl(self.routers).applied_revisions())
        known = [record.revision, *(r for r in reported if r is not None)]
        if entry.routing is not None:
            known.append(entry.routing.revision)
        revision = max(known) + 1
        self.emit(InterruptedShiftFound(record, reported, revision))
        self.recorder.rolling_back()
        control = self.control(record.start, record.target)
        control.apply(record.start, revision)
        clock = self.request.clock
        deadline = clock.now() + self.request.rollback_timeout_seconds
        while any(r != revision for r in control.applied_revisions()):
            if clock.now() > deadline:
                raise LocalRunError(
                    f"endpoint {self.name}: rolling back the interrupted shift (revision "
                    f"{record.revision}, step {record.step} of {record.step_count}) wrote its "
                    f"starting table as revision {revision}, but not every router reported it "
                    f"within {self.request.rollback_timeout_seconds:g} s (reported: "
                    f"{control.applied_revisions()}); the record stays, so the next "
                    "`local apply` tries again"
                )
            clock.sleep(self.request.poll_interval_seconds)
        self.recorder.rolled_back(record.start, revision)
        self.emit(InterruptedShiftRolledBack(record.start, revision))
        return revision

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

    def run(self) -> EndpointOutcome:
        recovered = self.recovered = self.roll_back_interrupted()
        start, start_revision = self.live_table()
        target = self.local_spec.routing
        config = self.spec.deployment_config
        routing = config.traffic_routing_configuration if config is not None else None
        steps = tuple(plan_steps(start, target, routing))
        spec_json = self.spec.model_dump(mode="json")
        if not steps:
            self.recorder.completed(start, start_revision, spec_json)
            self.emit(EndpointUnchanged(start, start_revision))
            return EndpointOutcome(
                self.name, "unchanged", start, start_revision, target, start, start_revision,
                recovered=recovered,
            )
        request = self.request
        policy = ShiftPolicy.from_spec(
            config.blue_green_update_policy if config is not None else None,
            check_interval_seconds=request.check_interval_seconds,
            poll_interval_seconds=request.poll_interval_seconds,
            rollback_timeout_seconds=request.rollback_timeout_seconds,
        )
        alarms = _alarms(self.spec)
        stats = None
        if any(isinstance(alarm, RouterMetricAlarm) for alarm in alarms):
            ports = [router.metrics_port for router in self.routers]
            stats = local_router_stats(ports, request.clock.now, request.check_interval_seconds / 2)
        prom = None
        if any(isinstance(alarm, PromQLAlarm) for alarm in alarms) and self.spec.prometheus_url:
            prom = local_prometheus_query(self.spec.prometheus_url)
        control = self.control(start, target)
        self.planned = ShiftPlanned(
            start, start_revision, target, steps, policy.termination_wait_seconds,
            describe_policy(routing),
        )
        self.emit(self.planned)
        self.recorder.begin(start, start_revision, target, steps)

        def on_event(event: ShiftEvent) -> None:
            self.recorder.on_event(event)
            self.emit(event)

        try:
            result = run_shift(
                start,
                steps,
                start_revision=start_revision,
                routers=control,
                clock=request.clock,
                policy=policy,
                alarms=alarms,
                stats=stats,
                prom=prom,
                on_event=on_event,
            )
        except ShiftRolledBack as rolled:
            self.recorder.rolled_back(start, rolled.revision)
            raise
        self.recorder.completed(target, result.revision, spec_json)
        return EndpointOutcome(
            self.name, "shifted", start, start_revision, target, target, result.revision,
            steps, result, recovered,
        )


def apply_local_changes(
    request: ApplyRequest, on_event: ApplyEventSink | None = None
) -> ApplyReport:
    """Apply the stack config's routing changes to its local run (see the module docstring).

    Returns what happened per endpoint. Raises RestartRequiredError (a change beyond routing:
    nothing touched), LocalRunError (not running, another apply running, a router that does not
    answer, ...), StackConfigError (a config that cannot be read or is invalid), or
    ShiftFailedError when a shift was rolled back (or even its rollback failed)."""
    layout = RunLayout(request.run_dir.resolve())
    _running_state(layout, request.stack)
    with apply_lock(layout, request.stack):
        state = _running_state(layout, request.stack)  # as it is now that no apply can change it
        loaded = load_stack(request.stack, request.config_file)
        targets = _targets(request.stack, state, loaded)
        outcomes: list[EndpointOutcome] = []
        for name, spec in targets.items():
            endpoint = _EndpointApply(request, layout, state, name, spec, on_event)
            try:
                outcomes.append(endpoint.run())
            except ShiftFailed as error:
                failed = endpoint.failed(error)
                report = ApplyReport(request.stack, (*outcomes, failed))
                raise ShiftFailedError(error, report) from error
        return ApplyReport(request.stack, tuple(outcomes))


