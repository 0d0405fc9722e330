"""A local run's credentials for its clients: the run found, the endpoint chosen, keys read,
tokens minted with the run's key; each failure says what to do."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from credentials.endpoint_credentials import (
    EndpointCredentials,
    new_endpoint_credentials,
)
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.key_files import signing_key_file, write_credentials
from local_runtime.process_control import RecordedProcess
from local_runtime.procfs import process_info
from local_runtime.run_credentials import (
    choose_endpoint,
    live_run,
    local_api_keys,
    local_credentials,
    local_token,
)
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, RunState, write_state
from specification.endpoint import EndpointSpec


def _router(pid: int) -> RecordedProcess:
    """A router record for `pid`, as `up` records one (this test's own process when it is ours)."""
    info = process_info(pid)
    ticks, argv = (info.start_ticks, info.argv) if info is not None else (0, ("haproxy",))
    return RecordedProcess("ep-router", "router", pid, pid, ticks, argv, "/router.log")


def _run(
    tmp_path: Path, router: RecordedProcess, **spec_fields: object
) -> tuple[RunLayout, EndpointCredentials]:
    """A recorded local run of stack `dev` with one endpoint `ep` and its key files."""
    layout = RunLayout(tmp_path / "dev")
    spec = EndpointSpec.model_validate(
        {"name": "ep", "versions": [{"name": "v1", "image": "m:1"}], **spec_fields}
    )
    credentials = new_endpoint_credentials(spec)
    write_credentials(layout.keys_dir, credentials)
    endpoint = EndpointState(
        name="ep",
        url="http://127.0.0.1:8080/score",
        port=8080,
        metrics_url="http://127.0.0.1:9000/metrics",
        traffic={"v1": 100.0},
        default_version="v1",
        auth_enabled=spec.auth_enabled,
        token_auth_enabled=spec.token_auth_enabled,
        replicas=(),
    )
    state = RunState(
        stack="dev",
        run_dir=str(layout.root),
        marker=str(layout.root),
        config_file="/c.yaml",
        started_at="2026-11-22T00:00:00+00:00",
        status="running",
        endpoints={"ep": endpoint},
        processes=[router],
    )
    write_state(layout, state)
    return layout, credentials


def test_a_run_is_live_while_its_router_runs(tmp_path: Path) -> None:
    assert live_run(RunLayout(tmp_path / "none")) is None
    layout, _ = _run(tmp_path / "up", _router(os.getpid()))
    assert live_run(layout) is not None
    stopped, _ = _run(tmp_path / "stopped", _router(2**22 + 1))  # above Linux's pid_max
    assert live_run(stopped) is None


def test_keys_and_a_verifiable_token_of_the_run(tmp_path: Path) -> None:
    layout, credentials = _run(tmp_path, _router(os.getpid()), token_auth_enabled=True)
    assert local_api_keys(layout, "dev", None) == (
        "ep",
        credentials.primary_key,
        credentials.secondary_key,
    )
    assert local_credentials(layout, "dev", "ep") == credentials
    before = datetime.now(UTC).replace(microsecond=0)
    endpoint, token, refresh_by = local_token(layout, "dev", None, timedelta(minutes=10))
    assert credentials.public_key_pem is not None
    claims = jwt.decode(
        token, credentials.public_key_pem, algorithms=["ES256"], audience="ep", issuer="model-endpoints"
    )
    assert endpoint == "ep" and claims["exp"] - claims["iat"] == 600
    assert before + timedelta(minutes=8) <= refresh_by <= datetime.now(UTC) + timedelta(minutes=8)


def test_no_run_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(NotRunningError, match="stack dev is not running locally; `model-endpoints local up --stack dev`"):
        local_api_keys(RunLayout(tmp_path / "dev"), "dev", None)


def test_auth_off_means_no_keys_and_no_tokens(tmp_path: Path) -> None:
    layout, _ = _run(tmp_path, _router(os.getpid()), auth_enabled=False)
    with pytest.raises(LocalRunError, match="endpoint ep has no API keys: its auth_enabled is false"):
        local_api_keys(layout, "dev", None)
    with pytest.raises(LocalRunError, match="endpoint ep does not accept tokens: set token_auth_enabled"):
        local_token(layout, "dev", "ep", timedelta(minutes=1))


def test_a_damaged_signing_key_names_the_file_not_the_key(tmp_path: Path) -> None:
    layout, _ = _run(tmp_path, _router(os.getpid()), token_auth_enabled=True)
    damaged = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"
    signing_key_file(layout.keys_dir, "ep").write_text(damaged)
    with pytest.raises(LocalRunError, match="cannot mint a token for endpoint ep: .*not a PEM private key") as caught:
        local_token(layout, "dev", None, timedelta(minutes=1))
    assert "ep-token-signing-key.pem" in str(caught.value) and "BEGIN" not in str(caught.value)


def test_the_endpoint_is_the_named_one_or_the_only_one() -> None:
    assert choose_endpoint(["a"], None, "the local run of stack dev") == "a"
    assert choose_endpoint(["a", "b"], "b", "the local run of stack dev") == "b"
    with pytest.raises(LocalRunError, match=r"stack dev has no endpoint 'c' \(endpoints: a, b\)"):
        choose_endpoint(["a", "b"], "c", "the local run of stack dev")
    with pytest.raises(LocalRunError, match=r"several endpoints \(a, b\): choose one with --endpoint"):
        choose_endpoint(["a", "b"], None, "the local run of stack dev")
