"""The run's record and key files: round trip, and private from the first byte (mode 0600/0700)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from local_runtime.credentials import (
    new_endpoint_credentials,
    read_credentials,
    write_credentials,
)
from local_runtime.errors import LocalRunError
from local_runtime.private_files import make_private_dir, write_private
from local_runtime.processes import RecordedProcess
from local_runtime.run_layout import RunLayout
from local_runtime.state import (
    EndpointState,
    ReplicaState,
    RunState,
    read_state,
    write_state,
)
from specification.endpoint import EndpointSpec


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


def test_keys_are_written_private_and_read_back(tmp_path: Path) -> None:
    spec = EndpointSpec.model_validate(
        {"name": "ep", "token_auth_enabled": True, "versions": [{"name": "v1", "image": "m:1"}]}
    )
    credentials = new_endpoint_credentials(spec)
    primary = credentials.primary_key
    assert primary is not None and primary != credentials.secondary_key
    assert len(primary) == 43  # secrets.token_urlsafe(32)
    assert primary not in repr(credentials)
    write_credentials(tmp_path / "keys", credentials)
    assert {p.name: _mode(p) for p in (tmp_path / "keys").iterdir()} == {
        "ep.json": 0o600,
        "ep-token-signing-key.pem": 0o600,
    }
    assert read_credentials(tmp_path / "keys", "ep") == credentials
    assert (credentials.issuer, credentials.audience) == ("model-endpoints", "ep")


def test_no_keys_without_auth_and_no_signing_key_without_token_auth(tmp_path: Path) -> None:
    spec = EndpointSpec.model_validate(
        {"name": "ep", "auth_enabled": False, "versions": [{"name": "v1", "image": "m:1"}]}
    )
    credentials = new_endpoint_credentials(spec)
    assert credentials.key_hashes() is None and credentials.signing_key_pem is None
    write_credentials(tmp_path, credentials)
    assert [p.name for p in tmp_path.iterdir()] == ["ep.json"]


def test_private_dirs_are_0700_whatever_the_umask(tmp_path: Path) -> None:
    made = make_private_dir(tmp_path / "a" / "b")
    assert _mode(made) == _mode(made.parent) == 0o700
