"""End to end on the example dev stack, through the `model-endpoints` console script: `local up`,
scoring through the real router with both keys and a token, 401 without one, a request pinned by
header, `local status` counting what was served, then `local down` leaving nothing behind."""

from __future__ import annotations

from pathlib import Path

from credentials.api_keys import api_key_sha256
from local_runtime.ports import port_is_free
from tests.local_runtime.local_run_harness import LocalRuns, bearer, score
from tests.ports import free_port

VERSIONS = {"versiona", "versionb"}


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
    assert abs(pinned.json()["scores"][0] - 3.6) < 1e-9  # versionb's weights: 0.4, -0.2, 1.2
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
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path

    down = console_runs.cli("local", "down")
    assert down.returncode == 0, down.stderr
    assert not run_dir.exists()
    assert console_runs.leftovers("dev") == set()
    assert port_is_free(port)  # the router is gone


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
