"""The run's record (state.json): round trip, private from the first byte (mode 0600/0700), and
a damaged record reported with the way out."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from local_runtime.errors import LocalRunError
from local_runtime.private_files import write_private
from local_runtime.process_control import RecordedProcess
from local_runtime.run_directory import RunLayout
from specification.routing import RoutingTable
from local_runtime.routing_record import LiveRouting
from local_runtime.run_record import (
    EndpointState,
    ReplicaState,
    RunState,
    read_state,
    write_state,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_round_trips_and_is_private(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "runs" / "dev")
    state = RunState(
        stack="dev",
        run_dir=str(layout.root),
        marker=str(layout.root),
        config_file="/c.yaml",
        started_at="2026-11-22T00:00:00+00:00",
        status="running",
        endpoints={
            "ep": EndpointState(
                name="ep",
                url="http://127.0.0.1:8080/score",
                port=8080,
                metrics_url="http://127.0.0.1:9000/metrics",
                traffic={"v1": 90.0, "v2": 10.0},
                default_version="v1",
                auth_enabled=True,
                token_auth_enabled=False,
                replicas=(ReplicaState("ep-v1-1", "v1", 9001), ReplicaState("ep-v2-1", "v2", 9002)),
                skipped_versions={"v3": "r.example/m:1"},
            )
        },
        processes=[RecordedProcess("ep-v1-1", "replica", 10, 10, 1234, ("python", "x"), "/l.log")],
    )
    assert read_state(layout) is None
    write_state(layout, state)
    assert read_state(layout) == state
    assert _mode(layout.state_file) == 0o600
    assert _mode(layout.root) == _mode(layout.root.parent) == 0o700


def test_damaged_state_is_reported_with_the_way_out(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    write_private(layout.state_file, json.dumps({"schema": 99}))
    with pytest.raises(LocalRunError, match="is damaged"):
        read_state(layout)


def test_the_routing_and_the_shift_records_round_trip(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "runs" / "dev")
    start = RoutingTable({"v1": 9000, "v2": 1000}, "v1", "v1")
    shift = {"phase": "step", "step": 1, "driver": {"pid": 123}}  # kept as written
    failure = {"reason": "r", "at": "2026-11-22T00:00:00+00:00", "outcome": "rolled_back"}
    endpoint = EndpointState(
        name="ep",
        url="http://127.0.0.1:8080/score",
        port=8080,
        metrics_url="http://127.0.0.1:9000/metrics",
        traffic=start.traffic,
        default_version="v1",
        auth_enabled=False,
        token_auth_enabled=False,
        replicas=(),
        spec={"name": "ep", "versions": []},
        routing=LiveRouting(start, 4),
        shift=shift,
        last_failure=failure,
        agent_port=9001,
        admin_socket="/run/admin.sock",
    )
    root = str(layout.root)
    state = RunState("dev", root, root, "/c.yaml", "t", "running", {"ep": endpoint})
    write_state(layout, state)
    assert read_state(layout) == state
    assert endpoint.metrics_port == 9000


def test_a_record_from_before_the_routing_fields_reads_them_as_empty(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    endpoint = {
        "name": "ep",
        "url": "u",
        "port": 1,
        "metrics_url": "http://127.0.0.1:2/metrics",
        "traffic": {"v1": 100},
        "default_version": "v1",
        "auth_enabled": True,
        "token_auth_enabled": False,
        "replicas": [],
    }
    document = {
        "schema": 1,
        "stack": "dev",
        "run_dir": str(tmp_path),
        "marker": str(tmp_path),
        "config_file": "/c.yaml",
        "started_at": "t",
        "status": "running",
        "endpoints": {"ep": endpoint},
        "processes": [],
    }
    write_private(layout.state_file, json.dumps(document))
    state = read_state(layout)
    assert state is not None
    old = state.endpoints["ep"]
    assert (old.spec, old.routing, old.shift, old.last_failure) == (None, None, None, None)
    assert (old.agent_port, old.admin_socket) == (0, "")
