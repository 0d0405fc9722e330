"""`local apply` in-process, on routers made of the real routing agent and its real `/routing`
(no HAProxy, no replicas: `agent_routers`), two per endpoint where a cluster would have several:
a shift left by a killed apply with its routers on different revisions is rolled back on every
router before anything else, a rollback no router confirms keeps its record for the next apply,
and every refusal leaves the routers untouched. The command line, real HAProxy and real replicas
are `tests/cli/test_local_apply.py`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runtime.apply_events import (
    ApplyEvent,
    ApplyReport,
    EndpointUnchanged,
    InterruptedShiftFound,
    InterruptedShiftRolledBack,
)
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.local_apply import ApplyRequest, apply_local_changes
from local_runtime.router_control import LocalRouterControl
from local_runtime.routing_change import RestartRequiredError
from local_runtime.routing_record import LiveRouting, LocalShift, ShiftDriver
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, ReplicaState, RunState, read_state, write_state
from rollout.shift_progress import LastFailure, ShiftProgress
from router.split import render_split_map
from router_agent.routing_dir import routing_files, write_generation
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable
from tests.local_runtime.agent_routers import AgentRouter
from tests.local_runtime.local_run_harness import write_stack

START = RoutingTable({"va": 10000, "vb": 0}, "va")
STEP_1 = RoutingTable({"va": 7000, "vb": 3000}, "va")
STEP_2 = RoutingTable({"va": 4000, "vb": 6000}, "va")
TARGET = RoutingTable({"va": 2000, "vb": 8000}, "va")


def _config(vb_share: float, vb_extra: str = "", va_extra: str = "") -> str:
    return f"""
    config:
      model-endpoints:endpoints:
        - name: shop
          auth_enabled: false
          versions:
            - name: va
              inference_config: {{entry_script: models/a.py}}
{va_extra}            - name: vb
              traffic_percentile: {vb_share}
              inference_config: {{entry_script: models/b.py}}
{vb_extra}"""


def _spec_json(vb_share: float) -> dict[str, Any]:
    spec = EndpointSpec.model_validate(
        {
            "name": "shop",
            "auth_enabled": False,
            "versions": [
                {"name": "va", "inference_config": {"entry_script": "models/a.py"}},
                {
                    "name": "vb",
                    "traffic_percentile": vb_share,
                    "inference_config": {"entry_script": "models/b.py"},
                },
            ],
        }
    )
    return spec.model_dump(mode="json")


class Run:
    """A recorded run of `shop` whose routers are `routers`, and its config file."""

    def __init__(self, tmp_path: Path, routers: list[AgentRouter]) -> None:
        self.routers = routers
        self.layout = RunLayout(tmp_path / "runs" / "s")
        self.layout.root.mkdir(parents=True)
        self.config_file = write_stack(tmp_path / "stack", "s", _config(0), {})
        self.control = LocalRouterControl([router.local for router in routers])

    def record(
        self, routing: LiveRouting, shift: dict[str, Any] | None = None, **changes: Any
    ) -> None:
        """Write state.json; `changes` set RunState fields, or `spec` the endpoint's."""
        endpoint = EndpointState(
            name="shop",
            url="http://127.0.0.1:1/score",
            port=1,
            metrics_url=f"http://127.0.0.1:{self.routers[0].server.port}/metrics",
            traffic=routing.table.traffic,
            default_version="va",
            auth_enabled=False,
            token_auth_enabled=False,
            replicas=changes.pop("replicas", ()),
            spec=changes.pop("spec", _spec_json(0)),
            routing=routing,
            shift=shift,
        )
        state = RunState(
            stack="s",
            run_dir=str(self.layout.root),
            marker=str(self.layout.root),
            config_file=str(self.config_file),
            started_at="2026-01-01T00:00:00+00:00",
            status="running",
            endpoints={"shop": endpoint},
        )
        for name, value in changes.items():
            setattr(state, name, value)
        write_state(self.layout, state)

    def serve(self, index: int, table: RoutingTable, revision: int) -> None:
        files = routing_files(render_split_map(table), revision)
        write_generation(self.routers[index].routing_dir, files)

    def wait_for(self, revisions: list[int]) -> None:
        deadline = time.monotonic() + 5
        while self.control.applied_revisions() != revisions:
            assert time.monotonic() < deadline, self.control.applied_revisions()
            time.sleep(0.02)

    def configure(self, text: str) -> None:
        write_stack(self.config_file.parent, "s", text, {})

    def apply(self, **timing: float) -> ApplyReport:
        request = ApplyRequest("s", self.config_file, self.layout.root, **timing)
        return apply_local_changes(request)

    def state(self) -> RunState:
        state = read_state(self.layout)
        assert state is not None
        return state


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    routers = [AgentRouter(tmp_path / f"router{index}") for index in range(2)]
    monkeypatch.setattr(
        "local_runtime.endpoint_shift.endpoint_routers",
        lambda layout, name, entry: tuple(router.local for router in routers),
    )
    try:
        yield Run(tmp_path, routers)
    finally:
        for router in routers:
            router.stop()


def _shift_record(revision: int, step: int) -> dict[str, Any]:
    """A shift a killed `local apply` left: at `step` of 3, `revision` written last."""
    progress = ShiftProgress(
        started_at="2026-01-01T00:00:00+00:00",
        step=step,
        step_count=3,
        phase="catch_up",
        start=START.traffic,
        target=TARGET.traffic,
        revision=revision,
    )
    driver = ShiftDriver(999_999_999, revision, TARGET, "2026-01-01T00:00:01+00:00")
    return LocalShift(progress, driver).to_json()


def test_a_killed_shift_with_routers_on_different_steps_is_rolled_back_on_all_first(
    run: Run,
) -> None:
    # killed while writing step 2: one router has it, the other still serves step 1
    run.serve(0, STEP_2, 3)
    run.serve(1, STEP_1, 2)
    run.wait_for([3, 2])
    run.record(LiveRouting(START, 1), _shift_record(revision=3, step=2))
    run.configure(_config(80))

    events: list[tuple[str, ApplyEvent]] = []
    seen_at_rollback: list[list[Any]] = []
    recording = events.append

    def sink(name: str, event: ApplyEvent) -> None:
        recording((name, event))
        if isinstance(event, InterruptedShiftRolledBack):
            seen_at_rollback.append(run.control.reports())

    request = ApplyRequest("s", run.config_file, run.layout.root)
    report = apply_local_changes(request, on_event=sink)

    found = next(e for _, e in events if isinstance(e, InterruptedShiftFound))
    assert (found.reported, found.revision) == ((3, 2), 4)
    # once rolled back, every router serves the starting table, the same revision: no mix
    (reports,) = seen_at_rollback
    assert [(r.revision, dict(r.buckets)) for r in reports] == [(4, {"be_va": 10000})] * 2
    (outcome,) = report.endpoints
    assert (outcome.outcome, outcome.recovered, outcome.start, outcome.start_revision) == (
        "shifted",
        4,
        START,
        4,
    )
    assert (outcome.table, outcome.revision) == (TARGET, 5)
    final = [(r.revision, dict(r.buckets)) for r in run.control.reports() if r is not None]
    assert final == [(5, {"be_va": 2000, "be_vb": 8000})] * 2
    entry = run.state().endpoints["shop"]
    assert entry.shift is None and entry.routing == LiveRouting(TARGET, 5)
    assert entry.traffic == {"va": 20.0, "vb": 80.0} and entry.spec == _spec_json(80)
    assert entry.last_failure is None  # the change completed after all


def test_a_shift_record_it_cannot_read_is_rolled_back_from_the_recorded_table(run: Run) -> None:
    # a record someone else wrote, malformed; the routers serve step 1 (revision 2)
    run.serve(0, STEP_1, 2)
    run.serve(1, STEP_1, 2)
    run.wait_for([2, 2])
    run.record(LiveRouting(START, 1), {"phase": "baking"})
    run.configure(_config(0))  # the config is the starting table again
    (outcome,) = run.apply().endpoints
    assert (outcome.outcome, outcome.recovered, outcome.revision) == ("unchanged", 3, 3)
    run.wait_for([3, 3])
    entry = run.state().endpoints["shop"]
    assert entry.shift is None and entry.routing == LiveRouting(START, 3)
    assert entry.last_failure is not None
    failure = LastFailure.from_json(entry.last_failure)
    assert failure.outcome == "rolled_back"  # the starting table is live: not left stopped
    assert failure.reason == (
        "a traffic shift stopped when the `local apply` driving it died; the next `local apply` "
        "rolled it back: the starting table is live again on every router (revision 3)"
    )


def test_a_rollback_not_every_router_confirms_stays_recorded_for_the_next_apply(
    run: Run,
) -> None:
    run.serve(0, STEP_1, 2)
    run.serve(1, STEP_1, 2)
    run.wait_for([2, 2])
    run.record(LiveRouting(START, 1), _shift_record(revision=2, step=1))
    run.configure(_config(80))
    run.routers[1].stop_polling()
    with pytest.raises(LocalRunError, match=r"not every router reported it within 0.5 s"):
        run.apply(rollback_timeout_seconds=0.5)
    record = run.state().endpoints["shop"].shift
    assert record is not None and record["phase"] == "rolling_back"
    assert run.control.applied_revisions() == [3, 2]

    run.routers[1].start_polling()
    report = run.apply()
    (outcome,) = report.endpoints
    assert (outcome.recovered, outcome.revision) == (4, 5)
    run.wait_for([5, 5])
    assert run.state().endpoints["shop"].shift is None


def test_no_change_writes_nothing_and_records_the_new_policy(run: Run) -> None:
    run.serve(0, START, 1)
    run.serve(1, START, 1)
    run.wait_for([1, 1])
    run.record(LiveRouting(START, 1))
    policy = (
        "          deployment_config:\n"
        "            blue_green_update_policy:\n"
        "              traffic_routing_configuration:\n"
        "                {type: ALL_AT_ONCE, wait_interval_in_seconds: 0}\n"
    )
    run.configure(_config(0).replace("          versions:\n", policy + "          versions:\n"))
    (outcome,) = run.apply().endpoints
    assert (outcome.outcome, outcome.revision, outcome.steps) == ("unchanged", 1, ())
    assert run.control.applied_revisions() == [1, 1]
    spec = run.state().endpoints["shop"].spec
    assert spec is not None and spec["deployment_config"] is not None


_RETAIN = "          retain_all_variant_properties: true\n"
_EXCLUDE_WEIGHT = (
    "          exclude_retained_variant_properties:\n"
    "            - {variant_property_type: DesiredWeight}\n"
)


def test_retained_weights_keep_the_live_table_until_desired_weight_is_excluded(run: Run) -> None:
    """As `pulumi up` keeps a TrafficSplit's live table: the declared 80% is not applied, and the
    event names it; excluding DesiredWeight then walks to it."""
    run.serve(0, START, 1)
    run.serve(1, START, 1)
    run.wait_for([1, 1])
    run.record(LiveRouting(START, 1))
    events: list[ApplyEvent] = []
    run.configure(_config(80).replace("          versions:\n", _RETAIN + "          versions:\n"))
    request = ApplyRequest("s", run.config_file, run.layout.root)
    (outcome,) = apply_local_changes(request, lambda _name, event: events.append(event)).endpoints
    assert (outcome.outcome, outcome.revision, outcome.steps) == ("unchanged", 1, ())
    assert run.control.applied_revisions() == [1, 1]
    (unchanged,) = [event for event in events if isinstance(event, EndpointUnchanged)]
    assert unchanged.table == START and unchanged.declared == TARGET
    assert run.state().endpoints["shop"].routing == LiveRouting(START, 1)

    run.configure(
        _config(80).replace("          versions:\n", _RETAIN + _EXCLUDE_WEIGHT + "          versions:\n")
    )
    (outcome,) = run.apply().endpoints
    assert outcome.outcome == "shifted" and outcome.target == TARGET
    assert run.control.applied_revisions() == [2, 2]


def test_refusals_leave_the_routers_alone(run: Run) -> None:
    run.serve(0, START, 1)
    run.serve(1, START, 1)
    run.wait_for([1, 1])
    with pytest.raises(NotRunningError, match="stack s is not running locally"):
        run.apply()
    run.record(LiveRouting(START, 1), status="starting")
    with pytest.raises(LocalRunError, match="still starting"):
        run.apply()
    run.record(LiveRouting(START, 1))

    run.configure(_config(80, vb_extra="              num_replicas: 3\n"))
    with pytest.raises(RestartRequiredError, match=r"shop: versions\[vb\].num_replicas: None -> 3"):
        run.apply()
    run.configure(_config(0).replace("            - name: va\n", "            - name: vz\n", 1))
    with pytest.raises(RestartRequiredError, match="version vz added"):
        run.apply()
    # a default that moves only because another version is listed first: `up` refuses it too
    reordered = """
    config:
      model-endpoints:endpoints:
        - name: shop
          auth_enabled: false
          versions:
            - name: vb
              inference_config: {entry_script: models/b.py}
            - name: va
              inference_config: {entry_script: models/a.py}
    """
    run.configure(reordered)
    with pytest.raises(LocalRunError, match="Set is_default: true on 'vb' to make it the default"):
        run.apply()
    # a run recorded before local apply existed has no spec to compare with
    run.record(LiveRouting(START, 1), spec=None)
    run.configure(_config(80))
    with pytest.raises(LocalRunError, match="did not record its spec and routing"):
        run.apply()
    assert run.control.applied_revisions() == [1, 1]


def _canary_in_pods(pods: int) -> str:
    return (
        "          deployment_config:\n"
        "            blue_green_update_policy:\n"
        "              traffic_routing_configuration:\n"
        "                type: CANARY\n"
        f"                canary_size: {{type: INSTANCE_COUNT, value: {pods}}}\n"
        "                wait_interval_in_seconds: 0\n"
    )


def test_a_shift_sized_in_pods_is_a_share_of_the_gaining_versions_declared_pods(run: Run) -> None:
    run.serve(0, START, 1)
    run.serve(1, START, 1)
    run.wait_for([1, 1])
    spec = _spec_json(0)
    spec["versions"][1]["num_replicas"] = 4
    run.record(LiveRouting(START, 1), spec=spec)
    four = "              num_replicas: 4\n"
    versions = "          versions:\n"
    run.configure(_config(80, vb_extra=four).replace(versions, _canary_in_pods(3) + versions))
    # 3 of vb's 4 pods is more than the canary's half: refused, nothing written
    with pytest.raises(LocalRunError) as refused:
        run.apply()
    assert str(refused.value) == (
        "endpoint shop: the traffic change cannot be planned: deployment_config."
        "blue_green_update_policy.traffic_routing_configuration.canary_size.value: an "
        "INSTANCE_COUNT canary is at most half the fleet (the seed's rule), and 3 pods of a fleet "
        "of 4 pods is 75%; lower it to 2 or fewer; its routers keep serving revision 1"
    )
    assert run.control.applied_revisions() == [1, 1]

    run.configure(_config(80, vb_extra=four).replace(versions, _canary_in_pods(1) + versions))
    (outcome,) = run.apply().endpoints
    # 1 of vb's 4 pods: a quarter of the change (80% to vb), then the rest
    assert outcome.outcome == "shifted"
    assert [step.traffic for step in outcome.steps] == [{"va": 80.0, "vb": 20.0}, TARGET.traffic]
    assert run.control.applied_revisions() == [3, 3]


def test_a_replacement_sized_in_pods_that_breaks_the_rule_starts_nothing(run: Run) -> None:
    run.serve(0, START, 1)
    run.serve(1, START, 1)
    run.wait_for([1, 1])
    replicas = (ReplicaState("shop-va-1", "va", 1, 1), ReplicaState("shop-vb-1", "vb", 2, 1))
    run.record(LiveRouting(START, 1), replicas=replicas)
    new_script = _config(0).replace("models/b.py", "models/c.py")
    run.configure(new_script.replace("          versions:\n", _canary_in_pods(1) + "          versions:\n"))
    with pytest.raises(LocalRunError) as refused:
        run.apply()
    assert str(refused.value) == (
        "endpoint shop: version vb (1 declared replica(s)) cannot be replaced blue/green: "
        "deployment_config.blue_green_update_policy.traffic_routing_configuration.canary_size."
        "value: an INSTANCE_COUNT canary is at most half the fleet (the seed's rule), and 1 pod of "
        "a fleet of 1 pod is 100% (the whole fleet); a fleet of 1 pod has no canary: use "
        "CAPACITY_PERCENT or ALL_AT_ONCE; nothing was started"
    )
    entry = run.state().endpoints["shop"]
    assert entry.replacement is None and entry.replicas == replicas and entry.shift is None
    assert run.control.applied_revisions() == [1, 1]
