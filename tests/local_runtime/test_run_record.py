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
