"""End to end on the example dev stack, through the `model-endpoints` console script: `local up`,
scoring through the real router with both keys and a token, 401 without one, a request pinned by
header, `local status` counting what was served, the routing agent applying a table written into
the routing directory as kubelet writes one, then `local down` leaving nothing behind."""

from __future__ import annotations

import json
import math
import os
import struct
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from credentials.api_keys import api_key_sha256
from local_runtime.loopback_http import loopback_request
from local_runtime.ports import port_is_free
from local_runtime.process_control import RecordedProcess, is_running
from router_agent.routing_dir import routing_files, write_generation
from tests.local_runtime.local_run_harness import LocalRuns, bearer, score
from tests.ports import free_port

VERSIONS = {"versiona", "versionb"}
ARTIFACTS = Path(__file__).resolve().parents[2] / "stacks" / "models" / "artifacts"


def _fraud_probability(model_version: int, row: list[float]) -> float:
    """What the dev stack's classifier scores `row` at, computed here from its safetensors file."""
    data = (ARTIFACTS / "fraud-classifier" / str(model_version) / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header, body = json.loads(data[8 : 8 + length]), data[8 + length :]
    weights = struct.unpack("<3f", body[slice(*header["weights"]["data_offsets"])])
    (bias,) = struct.unpack("<f", body[slice(*header["bias"]["data_offsets"])])
    logit = sum(w * x for w, x in zip(weights, row, strict=True)) + bias
    return round(1.0 / (1.0 + math.exp(-logit)), 6)


def test_dev_stack_up_score_status_down(console_runs: LocalRuns) -> None:
    port = free_port()
    up = console_runs.up_ok("dev", "--port", str(port))
    assert up["url"] == f"http://127.0.0.1:{port}/score"
    assert up["traffic"] == {"versiona": 90.0, "versionb": 10.0}  # the seed's 20% + remainder
    assert up["metrics_url"].startswith("http://127.0.0.1:") and up["metrics_url"].endswith(
        "/metrics"
    )
    primary, secondary = up["primary_key"], up["secondary_key"]
    assert primary and secondary and primary != secondary

    token = console_runs.json("get-token", "--stack", "dev")
    assert token["target"] == "local" and token["endpoint"] == "mynewendpoint"
    assert token["refresh_by"] < token["expires_at"]
    keys = console_runs.json("keys", "--stack", "dev")
    assert (keys["primary_key"], keys["secondary_key"]) == (primary, secondary)

    served = {version: 0 for version in VERSIONS}
    for credential in (primary, secondary, token["token"]):
        response = score(port, bearer(credential))
        assert response.status == 200, response.body
        version = response.headers["x-model-version"]
        assert response.json()["version"] == version  # the real scoring script answered
        served[version] += 1

    refused = score(port)
    assert refused.status == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert score(port, bearer("not-a-key")).status == 401

    pinned = score(port, {**bearer(primary), "x-model-version": "versionb"})
    assert pinned.status == 200 and pinned.json()["version"] == "versionb"
    # versionb serves fraud-classifier 2, read from its AZUREML_MODEL_DIR: the file's weights
    assert pinned.json()["scores"] == [_fraud_probability(2, [1.0, 2.0, 3.0])]
    served["versionb"] += 1

    status = console_runs.json("local", "status")  # the only run: no --stack needed
    versions = status["endpoints"]["mynewendpoint"]["versions"]
    assert {v: versions[v]["requests"] for v in VERSIONS} == served
    assert all(
        versions[v]["replicas_running"] == versions[v]["replicas_in_rotation"] == 1
        for v in VERSIONS
    )
    assert versions["versiona"]["share"] == 90.0 and versions["versiona"]["is_default"]

    # the router holds hashes only; every key file is private to the user
    run_dir = console_runs.run_dir("dev")
    assert primary not in (run_dir / "router" / "mynewendpoint" / "apikeys.map").read_text()
    assert (
        api_key_sha256(primary)
        in (run_dir / "router" / "mynewendpoint" / "apikeys.map").read_text()
    )
    for path in run_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():  # links: the models, the user's own files
            assert path.stat().st_mode & 0o077 == 0, path
    model_link = run_dir / "models" / "mynewendpoint" / "versionb" / "fraud-classifier" / "2"
    assert (model_link / "model.safetensors").resolve() == (
        ARTIFACTS / "fraud-classifier" / "2" / "model.safetensors"
    )

    agent_port = _check_live_routing(up, run_dir, primary, console_runs)

    down = console_runs.cli("local", "down")
    assert down.returncode == 0, down.stderr
    assert not run_dir.exists()
    assert console_runs.leftovers("dev") == set()
    assert port_is_free(port)  # the router is gone
    assert port_is_free(agent_port)  # and its routing agent


def test_up_twice_says_already_running(local_runs: LocalRuns) -> None:
    port = free_port()
    local_runs.up_ok("dev", "--port", str(port))
    again = local_runs.up("dev", "--port", str(free_port()))
    assert again.returncode == 1 and again.stdout == ""
    assert "stack dev is already running locally" in again.stderr
    assert (
        f"http://127.0.0.1:{port}/score" in again.stderr
        and "local down --stack dev" in again.stderr
    )
    assert score(port).status == 401  # the first run is untouched


def test_down_without_a_run_has_nothing_to_stop(local_runs: LocalRuns) -> None:
    result = local_runs.cli("local", "down", "--stack", "dev")
    assert result.returncode == 0 and "nothing to stop" in result.stderr
    assert not Path(local_runs.run_dir("dev")).exists()


def _routing(metrics_port: int) -> dict[str, Any]:
    document: dict[str, Any] = loopback_request(metrics_port, "/routing").json()
    return document


def _check_live_routing(up: dict[str, Any], run_dir: Path, key: str, runs: LocalRuns) -> int:
    """The router reads its split map from a routing directory in kubelet's layout, its agent
    reports revision 1 on the metrics port, and a new generation written there is served live,
    by the same router process. Returns the agent's port."""
    metrics_port = urlsplit(up["metrics_url"]).port
    assert metrics_port is not None
    assert up["routing_url"] == f"http://127.0.0.1:{metrics_port}/routing"
    first = _routing(metrics_port)
    assert first["revision"] == 1 and first["error"] is None
    routing_dir = run_dir / "router" / "mynewendpoint" / "routing"
    assert os.readlink(routing_dir / "split.map") == "..data/split.map"
    assert os.readlink(routing_dir / "..data").startswith("..")
    assert (routing_dir / "split.map").read_text().endswith(
        "0:8999 be_versiona\n9000:9999 be_versionb\n"
    )
    state = json.loads((run_dir / "state.json").read_text())
    (agent,) = [p for p in state["processes"] if p["kind"] == "routing-agent"]
    assert agent["name"] == "mynewendpoint-routing-agent"
    assert agent["argv"][1:4] == ["-S", "-m", "router_agent"]
    (router,) = [RecordedProcess.from_json(p) for p in state["processes"] if p["kind"] == "router"]
    status = runs.json("local", "status")["endpoints"]["mynewendpoint"]
    assert status["routing"]["revision"] == 1

    write_generation(routing_dir, routing_files("0:9999 be_versionb\n", 2), file_mode=0o600)
    deadline = time.monotonic() + 10
    while _routing(metrics_port)["revision"] != 2:
        assert time.monotonic() < deadline, _routing(metrics_port)
        time.sleep(0.05)
    scoring_port = urlsplit(up["url"]).port
    assert scoring_port is not None
    served = {score(scoring_port, bearer(key)).headers["x-model-version"] for _ in range(10)}
    assert served == {"versionb"}
    assert is_running(router, state["marker"])  # the same router process: no restart
    return int(agent["argv"][agent["argv"].index("--listen") + 1].rsplit(":", 1)[1])
