"""`local apply`'s blue/green replacement of a version whose serving definition changed.

SageMaker's deployment guardrails exist for this: the model behind a variant changes and the new
fleet must take traffic gradually, with a way back. For version `v` of a running endpoint:

1. green: `v`'s replicas for the new definition start beside the old ones (blue), in their own
   virtualenv, with their own model links (`models-g2/`: the new `models`, fetched and checked
   as `local up` does), as the next generation (`shop-vb-g2-1`, ...), each recorded as it starts: as
   many as blue, or, under an INSTANCE_COUNT size, the canary's (or first linear step's) count
   of the version's declared replicas (`rollout.replacement_schedule`);
2. the router is reloaded (hitless) with a second backend for `v`, `be_v_green`, answering as
   `v` with its role (`router.render`), and the table gets a `v_green` entry at 0%;
3. the step engine moves `v`'s share from `v` to `v_green` in the endpoint's policy steps, with
   its alarms read on `v_green` (the version gaining share), its bakes, termination wait and
   deadline: the same walk as a traffic shift, on the same routers and agents. A green smaller
   than blue grows before each step that needs more of it (the engine's `before_step`): the
   next replicas start on the next free ports, recorded, and once they answer the router is
   reloaded (hitless) with them in `be_v_green`; green is whole before the last step. Replicas
   that fail to start fail the step: the shift is rolled back as on a breach;
4. done: the router is reloaded with `be_v` on green's replicas (both backends serve green), the
   table without `v_green` is written (no request moves: both backends are green), the router is
   reloaded without `be_v_green`, and blue stops. Clients saw the name `v` throughout.

On a breach or the deadline the engine puts the starting table back (all of `v` on blue), the
router is reloaded without `be_v_green`, green stops, and the apply fails with the engine's
message. The run record follows each step (`replacement`: the version and generation in flight,
so a killed apply's green replicas are found and stopped by the next one: it rolls back, as an
interrupted traffic shift is rolled back). Only the version's own share moves: a replacement and
a traffic change of the same endpoint are applied separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from local_runtime.apply_events import EndpointOutcome, GreenGrown
from local_runtime.endpoint_shift import EndpointShift, describe_policy
from local_runtime.errors import LocalRunError
from local_runtime.key_files import read_credentials
from local_runtime.launch import scoring_helper, start_replica
from local_runtime.local_models import link_models, resolve_models
from local_runtime.model_cache import models_cache_dir
from local_runtime.planner import code_digest, local_endpoint_spec, model_plans, plan_version_replicas
from local_runtime.ports import free_ports
from local_runtime.process_control import RecordedProcess, stop_recorded_processes
from local_runtime.readiness import wait_for_replicas
from local_runtime.router_control import LocalRouterControl
from local_runtime.router_reload import RouterReconfiguration, local_router_site
from local_runtime.run_directory import RunLayout
from local_runtime.run_plan import LOOPBACK, ReplicaPlan
from local_runtime.run_record import EndpointState, ReplicaState, RunState, write_state
from local_runtime.shift_recorder import utc_now
from local_runtime.venvs import ensure_venv, venv_cache_dir
from rollout import (
    PlannedStep,
    RollbackFailed,
    ShiftRolledBack,
    declared_fleet,
)
from rollout.replacement import ReplacementTables, plan_replacement
from rollout.shift_progress import LastFailure
from router.endpoint_router import CONFIG_FILE, RouterSite, render_endpoint_router
from router.model import StaticReplicas
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable
from specification.stack_config import LoadedStack

__all__ = ["VersionReplacement"]

REPLICA_START_SECONDS = 120.0  # as `local up`'s default --timeout


class VersionReplacement:
    """Replace `version` of endpoint `name` (whose new spec is `spec`) blue/green; `run()` once.
    `shift` is the endpoint's `EndpointShift` (its live table, recorder, routers and events)."""

    def __init__(
        self,
        stack: LoadedStack,
        shift: EndpointShift,
        version: str,
        *,
        cache_dir: Path | None = None,
        replica_timeout: float = REPLICA_START_SECONDS,
        models_cache: Path | None = None,
    ) -> None:
        self.stack = stack
        self.shift = shift
        self.version = version
        self.cache_dir = cache_dir if cache_dir is not None else venv_cache_dir()
        self.models_cache_dir = models_cache if models_cache is not None else models_cache_dir()
        self.replica_timeout = replica_timeout
        new_spec = local_endpoint_spec(shift.spec)
        assert new_spec is not None
        self.spec: EndpointSpec = new_spec

    # ------------------------------------------------------------------ the run record

    @property
    def layout(self) -> RunLayout:
        return self.shift.layout

    @property
    def state(self) -> RunState:
        return self.shift.state

    @property
    def entry(self) -> EndpointState:
        return self.state.endpoints[self.shift.name]

    def _save(self, **changes: object) -> None:
        self.state.endpoints[self.shift.name] = replace(self.entry, **changes)  # type: ignore[arg-type]
        write_state(self.layout, self.state)

    def _replicas(self, generation: int) -> tuple[ReplicaState, ...]:
        return tuple(
            r for r in self.entry.replicas if r.version == self.version and r.generation == generation
        )

    def _processes(self, replicas: Sequence[ReplicaState]) -> list[RecordedProcess]:
        names = {r.name for r in replicas}
        return [p for p in self.state.processes if p.kind == "replica" and p.name in names]

    def _stop(self, replicas: Sequence[ReplicaState]) -> None:
        """Stop `replicas` and forget them (their processes and their entries)."""
        records = self._processes(replicas)
        stop_recorded_processes(records, self.state.marker)
        gone = {r.name for r in replicas}
        self.state.processes = [p for p in self.state.processes if p not in records]
        self._save(replicas=tuple(r for r in self.entry.replicas if r.name not in gone))

    # ------------------------------------------------------------------ the router

    def _site(self) -> RouterSite:
        site = local_router_site(self.layout, self.entry, self.spec)
        if site is None:
            raise LocalRunError(
                f"endpoint {self.shift.name}: this run's record lacks its router's site (a run "
                "started by an earlier model-endpoints), so the router cannot be reconfigured "
                f"for a blue/green replacement; restart the run: `model-endpoints local down "
                f"--stack {self.shift.stack}` then `model-endpoints local up --stack "
                f"{self.shift.stack}`"
            )
        return site

    def _reconfiguration(
        self, spec: EndpointSpec, serving: int, green: int | None
    ) -> RouterReconfiguration:
        """The router configuration in which `version`'s backend `be_v` is served by generation
        `serving` (and `be_v_green` by generation `green`, when given), others as they run."""
        site = self._site()
        hashes = read_credentials(self.layout.keys_dir, self.shift.name).key_hashes()
        ports: dict[str, tuple[int, ...]] = {}
        for replica in self.entry.replicas:
            if replica.version != self.version or replica.generation == serving:
                ports.setdefault(replica.version, ())
                ports[replica.version] += (replica.port,)
        replicas = {
            name: StaticReplicas(tuple(f"{LOOPBACK}:{port}" for port in found))
            for name, found in ports.items()
        }
        green_replicas = (
            {}
            if green is None
            else {
                self.version: StaticReplicas(
                    tuple(f"{LOOPBACK}:{r.port}" for r in self._replicas(green))
                )
            }
        )

        def render(table: RoutingTable) -> str:
            return render_endpoint_router(
                spec, table, replicas, hashes, site, green_replicas
            ).haproxy_cfg

        master = next(
            (p for p in self.state.processes if p.kind == "router" and p.name == f"{self.shift.name}-router"),
            None,
        )
        if master is None:
            raise LocalRunError(f"endpoint {self.shift.name}: the run records no router process")
        cfg_path = self.layout.router_dir(self.shift.name) / CONFIG_FILE
        return RouterReconfiguration(render, cfg_path, master, self.state.marker)

    def _wait_applied(self, control: LocalRouterControl, revision: int) -> None:
        late = self.shift.wait_reported(control, revision)
        if late is not None:
            raise LocalRunError(
                f"endpoint {self.shift.name}: the routers did not report revision {revision} "
                f"within {self.shift.timings.rollback_timeout_seconds:g} s (reported: {late})"
            )

    # ------------------------------------------------------------------ green

    def _start_green(self, generation: int, numbers: range) -> tuple[ReplicaPlan, ...]:
        """Start green replicas `numbers` of `generation`, each recorded as it starts, and wait
        until they all answer."""
        version = self.spec.version(self.version)
        used = {r.port for e in self.state.endpoints.values() for r in e.replicas}
        used |= {e.port for e in self.state.endpoints.values()}
        ports = (port for port in free_ports() if port not in used)
        collect = scoring_helper("collect") if version.collect_model_data else None
        plans = tuple(
            plan_version_replicas(
                self.stack,
                self.spec,
                version,
                layout=self.layout,
                next_port=lambda: next(ports),
                collect_script=collect,
                qualified_data_files=False,
                generation=generation,
                numbers=numbers,
            )
        )
        venv = ensure_venv(plans[0].requirements, self.cache_dir, lambda line: None) if plans else None
        if numbers.start == 1 and version.models:  # the generation's first replicas: its models
            resolved = resolve_models(
                tuple(model_plans(self.stack, self.layout, self.spec, version, generation)),
                cache_dir=self.models_cache_dir,
                venv_cache_dir=self.cache_dir,
                say=lambda line: None,
                pip_line=lambda line: None,
            )
            link_models(resolved)
        serve_local = scoring_helper("serve_local")
        self._save(replacement={"version": self.version, "generation": generation})
        starting = []
        for plan in plans:
            assert venv is not None
            starting.append(start_replica(plan, venv, serve_local, self.layout, self.state))
            self._save(
                replicas=(
                    *self.entry.replicas,
                    ReplicaState(plan.name, plan.version, plan.port, plan.generation),
                )
            )
        wait_for_replicas(starting, self.replica_timeout)
        return plans

    def _grow_green(
        self,
        old_local: EndpointSpec,
        blue_generation: int,
        generation: int,
        pods: int,
        live: RoutingTable,
        revision: int,
    ) -> None:
        """Grow green to `pods` replicas (nothing if it has them): start the next ones, then
        reload the router with every green replica in `be_v_green`, `live` being the table the
        routers serve as `revision`."""
        have = len(self._replicas(generation))
        if have >= pods:
            return
        started = self._start_green(generation, range(have + 1, pods + 1))
        self._reconfiguration(old_local, blue_generation, generation)(live, revision)
        self.shift.emit(GreenGrown(self.version, tuple(p.name for p in started), pods))

    # ------------------------------------------------------------------ a killed apply's

    def recover(self) -> None:
        """Undo a replacement a killed `local apply` left (`entry.replacement`): its table is
        rolled back first (`EndpointShift.roll_back_interrupted`: all of the version on blue
        again), then the router is reloaded without `be_v_green` and green's replicas stop.
        One killed while finishing (green already serving as the version) is not undone: the
        run must be restarted."""
        left = self.entry.replacement
        if not left:
            return
        generation = int(left.get("generation", 0))
        if left.get("phase") == "finish":
            raise LocalRunError(
                f"endpoint {self.shift.name}: a `local apply` was killed while it made version "
                f"{self.version}'s new replicas its own; restart the run: `model-endpoints local "
                f"down --stack {self.shift.stack}` then `model-endpoints local up --stack "
                f"{self.shift.stack}`"
            )
        self.shift.recovered = self.shift.roll_back_interrupted()
        live, revision = self.shift.live_table()
        blue = [r.generation for r in self.entry.replicas if r.version == self.version]
        blue_generation = min(blue)
        old_local = local_endpoint_spec(EndpointSpec.model_validate(self.entry.spec))
        assert old_local is not None
        self._reconfiguration(old_local, blue_generation, None)(live, revision)
        self._stop(self._replicas(generation))
        self._save(replacement=None)

    # ------------------------------------------------------------------ the replacement

    def run(self) -> EndpointOutcome:
        shift = self.shift
        live, live_revision = shift.live_table()
        if live != shift.target(live):
            raise LocalRunError(
                f"endpoint {shift.name}: version {self.version}'s serving definition changed and "
                "so did the endpoint's traffic; `local apply` replaces a version with the traffic "
                "it has, so apply the traffic change first (keep the version's old definition in "
                "the config), then the version's new definition"
            )
        blue = self._replicas(max(r.generation for r in self.entry.replicas if r.version == self.version))
        blue_generation = blue[0].generation
        generation = blue_generation + 1
        config = shift.spec.deployment_config
        policy = config.blue_green_update_policy if config is not None else None
        rolling = config.rolling_update_policy if config is not None else None
        routing = policy.traffic_routing_configuration if policy is not None else None
        fleet = declared_fleet(self.spec.version(self.version))
        try:
            plan = plan_replacement(live, self.version, fleet, policy, rolling)
        except ValueError as error:
            raise LocalRunError(
                f"endpoint {shift.name}: version {self.version} ({fleet} declared replica(s)) "
                f"cannot be replaced blue/green: {error}; nothing was started"
            ) from None
        tables, steps = plan.tables, plan.steps
        # green's replicas before each step: the schedule's, the whole fleet before the last
        pods = plan.green_pods
        old_spec = EndpointSpec.model_validate(self.entry.spec)
        old_local = local_endpoint_spec(old_spec)
        assert old_local is not None

        green = self._start_green(generation, range(1, pods[0] + 1))
        try:
            with_green = self._reconfiguration(old_local, blue_generation, generation)
            with_green(tables.start, live_revision)  # reload: be_v_green beside be_v
        except BaseException:
            self._stop(self._replicas(generation))
            self._save(replacement=None)
            raise
        control = LocalRouterControl(shift.routers, before_write=shift.recorder.before_write)
        grows = f", growing to {fleet}" if pods[0] < fleet else ""
        how = (
            describe_policy(routing, fleet)
            if policy is not None or rolling is None
            else f"guarded rolling update, batches of {pods[0]} of {fleet} pods; "
            f"{rolling.wait_interval_in_seconds} s bake after each step"
        )
        description = (
            f"blue/green replacement of {self.version} ({len(green)} new replica(s){grows}): {how}"
        )

        def before_step(k: int, step: PlannedStep) -> None:
            # the table live now is the previous step's, as revision live_revision + k
            previous = steps[k - 1].table if k else tables.start
            self._grow_green(
                old_local, blue_generation, generation, pods[k], previous, live_revision + k
            )

        try:
            result = shift.walk(
                tables.start, live_revision, tables.target, steps, control, description,
                before_step, plan,
            )
        except ShiftRolledBack as rolled:
            # every router serves the start again: all of the version on blue
            self._reconfiguration(old_local, blue_generation, None)(live, rolled.revision)
            self._stop(self._replicas(generation))
            failure = LastFailure.from_error(rolled, utc_now())
            shift.recorder.rolled_back(live, rolled.revision, failure)
            self._save(replacement=None)
            raise
        except RollbackFailed as unconfirmed:
            shift.recorder.failed(unconfirmed)
            raise
        revision = self._finish(old_local, tables, blue, generation, result.revision, control)
        return EndpointOutcome(
            shift.name, "replaced", live, live_revision, live, live, revision,
            steps, result, shift.recovered,
        )

    def _finish(
        self,
        old_local: EndpointSpec,
        tables: ReplacementTables,
        blue: tuple[ReplicaState, ...],
        generation: int,
        revision: int,
        control: LocalRouterControl,
    ) -> int:
        """Make green the version's own backend, then stop blue (see the module docstring)."""
        new_local = self.spec
        self._save(replacement={"version": self.version, "generation": generation, "phase": "finish"})
        # 1. both backends on green: no request can reach blue from here on
        self._reconfiguration(new_local, generation, generation)(tables.target, revision)
        # 2. the endpoint's own table: `v`'s buckets back on `be_v`, which is green now
        final_revision = revision + 1
        control.apply(tables.final, final_revision)
        self._wait_applied(control, final_revision)
        # 3. `be_v_green` goes
        self._reconfiguration(new_local, generation, None)(tables.final, final_revision)
        self._stop(blue)
        digests = dict(self.entry.code_digests)
        digests[self.version] = code_digest(self.stack, self.spec, self.spec.version(self.version))
        # the record's spec takes this version's new definition only: another version being
        # replaced in the same apply is still recorded (and running) as it was
        recorded = dict(self.entry.spec or {})
        mine = self.shift.spec.model_dump(mode="json")["versions"]
        recorded["versions"] = [
            next(v for v in mine if v["name"] == self.version) if v["name"] == self.version else v
            for v in recorded.get("versions") or []
        ]
        self.shift.recorder.completed(tables.final, final_revision, recorded)
        self._save(replacement=None, code_digests=digests)
        return final_revision
