"""`describe` against a real local run of the dev stack (real replicas, HAProxy and routing
agent on 127.0.0.1): in service after `up`; updating while a recorded shift's step is live (the
router really serves it); failed once a version's only replica is gone; a malformed shift record
and a stack that does not run are one-message failures."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_runtime.loopback_http import loopback_request
from rollout.shift_events import RoutersCaughtUp, StepApplied
from rollout.shift_progress import ShiftProgress
from rollout.steps import plan_steps
from router.split import render_split_map
from router_agent.routing_dir import routing_files, write_generation
from specification.deployment_config import TrafficRoutingConfiguration
from specification.routing import routing_table
from tests.local_runtime.local_run_harness import LocalRuns
from tests.ports import free_port

ENDPOINT = "mynewendpoint"
START = routing_table({"versiona": 20, "versionb": 10}, "versiona")  # the dev stack: 90 / 10
TARGET = routing_table({"versiona": 50, "versionb": 50}, "versiona")
LINEAR = TrafficRoutingConfiguration.model_validate(
    {
        "type": "LINEAR",
        "wait_interval_in_seconds": 60,
        "linear_step_size": {"type": "CAPACITY_PERCENT", "value": 25},
    }
)


def _describe(runs: LocalRuns) -> dict[str, Any]:
    document = runs.json("describe", "--stack", "dev")
    assert (document["stack"], document["target"]) == ("dev", "local")
    status: dict[str, Any] = document["endpoints"][ENDPOINT]
    return status


def _edit_record(run_dir: Path, change: dict[str, Any]) -> None:
    """Set fields of the endpoint's entry in the run record, as a shift driver does."""
    state_file = run_dir / "state.json"
    state = json.loads(state_file.read_text())
    state["endpoints"][ENDPOINT].update(change)
    state_file.write_text(json.dumps(state))


def _wait_for_revision(metrics_port: int, revision: int) -> None:
    deadline = time.monotonic() + 10
    while loopback_request(metrics_port, "/routing").json()["revision"] != revision:
        assert time.monotonic() < deadline, f"the router never applied revision {revision}"
        time.sleep(0.05)


def _start_step_one(run_dir: Path, metrics_port: int) -> ShiftProgress:
    """Step 1 of a LINEAR 25% shift to 50/50, written as revision 2 and applied by the router."""
    steps = plan_steps(START, TARGET, LINEAR)
    routing_dir = run_dir / "router" / ENDPOINT / "routing"
    write_generation(routing_dir, routing_files(render_split_map(steps[0].table), 2), file_mode=0o600)
    _wait_for_revision(metrics_port, 2)
    progress = ShiftProgress.begin(START, steps, datetime.now(UTC), termination_wait_seconds=30)
    for event in (
        StepApplied(1, len(steps), 2, steps[0].table, steps[0].percent_of_change, 0.1),
        RoutersCaughtUp(1, len(steps), 2, 1, 0.1, 0.2),
    ):
        advanced = progress.advance(event)
        assert advanced is not None
        progress = advanced
    _edit_record(run_dir, {"shift": progress.to_json()})
    return progress


def test_describe_follows_a_local_run_through_a_shift_and_a_lost_replica(local_runs: LocalRuns) -> None:
    up = local_runs.up_ok("dev", "--port", str(free_port()))
    run_dir = local_runs.run_dir("dev")
    metrics_port = urlsplit(up["metrics_url"]).port
    assert metrics_port is not None

    status = _describe(local_runs)
    assert status["endpoint_status"] == "InService"
    rows = {
        name: (v["is_default"], v["desired_weight"], v["current_weight"], v["desired_replicas"], v["current_replicas"])
        for name, v in status["versions"].items()
    }
    assert rows == {"versiona": (True, 90.0, 90.0, 1, 1), "versionb": (False, 10.0, 10.0, 1, 1)}
    assert status["routing_revision"] == 1 and status["routers"][0]["revision"] == 1
    assert status["routers"][0]["name"] == f"{ENDPOINT}-router"
    assert all(c["status"] == "True" for c in status["conditions"])
    assert status["creation_time"] <= status["last_modified_time"]

    # a spec that retains weights and declares 50 / 50 (as `local apply` records it): the router
    # keeps 90 / 10, which is no update but a retained difference
    spec = json.loads((run_dir / "state.json").read_text())["endpoints"][ENDPOINT]["spec"]
    retaining = {**spec, "retain_all_variant_properties": True}
    retaining["versions"] = [dict(v) for v in spec["versions"]]
    retaining["versions"][1]["traffic_percentile"] = 50.0
    _edit_record(run_dir, {"spec": retaining})
    retained = _describe(local_runs)
    assert retained["endpoint_status"] == "InService"
    weights = {v: (s["desired_weight"], s["current_weight"]) for v, s in retained["versions"].items()}
    assert weights == {"versiona": (50.0, 90.0), "versionb": (50.0, 10.0)}
    found = {c["type"]: (c["status"], c["reason"]) for c in retained["conditions"]}
    assert found["WeightsAtDesired"] == ("False", "Retained")
    assert found["Retained"] == ("True", "LiveValuesKept")
    _edit_record(run_dir, {"spec": spec})

    progress = _start_step_one(run_dir, metrics_port)
    updating = _describe(local_runs)
    assert updating["endpoint_status"] == "Updating"
    assert updating["pending_deployment"] == {
        "step": 1,
        "step_count": 4,
        "phase": "step",
        "started_at": progress.started_at,
        "next_step_at": progress.next_step_at,
        "percent_of_change": 25.0,
        "target_weights": {"versiona": 50.0, "versionb": 50.0},
    }
    weights = {v: (s["desired_weight"], s["current_weight"]) for v, s in updating["versions"].items()}
    assert weights == {"versiona": (50.0, 80.0), "versionb": (50.0, 20.0)}  # what the router serves
    assert updating["routing_revision"] == 2 and updating["routers"][0]["revision"] == 2

    shown = local_runs.cli("describe", "--stack", "dev", "--target", "local")
    assert shown.returncode == 0 and shown.stdout == ""
    assert "endpoint mynewendpoint: Updating (local run dev)" in shown.stderr
    assert "pending deployment: step 1 of 4 (step), 25% of the change" in shown.stderr

    # the test's own replica of versionb stops: the shift is gone, its 20% has no replica left
    state = json.loads((run_dir / "state.json").read_text())
    replica = next(p for p in state["processes"] if p["name"] == f"{ENDPOINT}-versionb-1")
    os.kill(replica["pid"], signal.SIGTERM)
    _edit_record(run_dir, {"shift": None})
    deadline = time.monotonic() + 10
    while (failed := _describe(local_runs))["endpoint_status"] != "Failed":
        assert time.monotonic() < deadline, failed
        time.sleep(0.2)
    assert failed["failure_reason"] == (
        "version versionb has 20% of the traffic but every one of its 1 replicas exited"
    )
    assert failed["versions"]["versionb"]["current_replicas"] == 0

    _edit_record(run_dir, {"shift": {"phase": "baking"}})
    broken = local_runs.cli("describe", "--stack", "dev")
    assert broken.returncode == 1 and broken.stdout == ""
    assert f"state.json: endpoints.{ENDPOINT}.shift is malformed" in broken.stderr
    assert broken.stderr.count("error:") == 1


def test_describe_of_a_stack_that_does_not_run_locally_fails(local_runs: LocalRuns) -> None:
    result = local_runs.cli("describe", "--stack", "dev", "--target", "local")
    assert result.returncode == 1 and result.stdout == ""
    assert "stack dev is not running locally" in result.stderr
