"""How `local up` and `local down` fail, through the command line with real processes: a port in
use, a version whose `init()` raises, a replica killed while running, `down` after a crash."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_runtime.metrics import Sample, fetch_metrics
from local_runtime.process_control import stop_processes
from tests.local_runtime.local_run_harness import (
    PROJECT_DIR,
    LocalRuns,
    bearer,
    score,
    write_stack,
)
from tests.ports import free_port

GOOD_SCRIPT = """
    def init():
        pass

    def run(raw_data):
        return {"served": "ok"}
"""
FAILING_INIT_SCRIPT = """
    def init():
        raise RuntimeError("weights file model.bin is missing")

    def run(raw_data):
        return {}
"""
BROKEN_STACK = """
    config:
      model-endpoints:endpoints:
        - name: shop
          versions:
            - name: good
              num_replicas: 2
              inference_config: {entry_script: models/good.py}
            - name: broken
              traffic_percentile: 50
              inference_config: {entry_script: models/broken.py}
"""
# Two replicas checked every second: a dead one leaves the rotation after two failed checks.
PAIR_STACK = """
    config:
      model-endpoints:endpoints:
        - name: pair
          versions:
            - name: va
              num_replicas: 2
              period_seconds: 1
              failure_threshold: 2
              inference_config: {entry_script: models/good.py}
"""


def _wait(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _state(runs: LocalRuns, stack: str) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((runs.run_dir(stack) / "state.json").read_text())
    return state


def _process(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in state["processes"] if p["name"] == name)


def _sessions(samples: list[Sample], server: str) -> float:
    return sum(
        s.value
        for s in samples
        if s.name == "haproxy_server_sessions_total"
        and s.labels.get("proxy") == "be_va"
        and s.labels.get("server") == server
    )


def test_a_port_in_use_is_named_and_nothing_starts(local_runs: LocalRuns) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = local_runs.up("dev", "--port", str(port))
    assert result.returncode == 1 and result.stdout == ""
    assert (
        f"port {port} (scoring port of endpoint mynewendpoint) is already in use" in result.stderr
    )
    assert "--port" in result.stderr
    assert not local_runs.run_dir("dev").exists()
    assert local_runs.leftovers("dev") == set()


def test_a_failing_init_fails_up_naming_the_version_and_the_error(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    config = write_stack(
        tmp_path,
        "broken",
        BROKEN_STACK,
        {"models/good.py": GOOD_SCRIPT, "models/broken.py": FAILING_INIT_SCRIPT},
    )
    result = local_runs.up("broken", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 1 and result.stdout == ""
    assert "version broken of endpoint shop failed to start" in result.stderr
    assert "RuntimeError: weights file model.bin is missing" in result.stderr
    # the good version's two replicas had started: they were stopped, and the files removed
    assert not local_runs.run_dir("broken").exists()
    assert local_runs.leftovers("broken") == set()


def test_a_killed_replica_leaves_the_rotation_and_the_endpoint_keeps_answering(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    config = write_stack(tmp_path, "pair", PAIR_STACK, {"models/good.py": GOOD_SCRIPT})
    up = local_runs.up_ok("pair", "--config", str(config), "--port", str(free_port()))
    port, key = int(up["url"].split(":")[2].split("/")[0]), up["primary_key"]
    for _ in range(4):
        assert score(port, bearer(key)).status == 200

    killed = _process(_state(local_runs, "pair"), "pair-va-2")
    os.killpg(killed["pgid"], signal.SIGKILL)  # the server and its worker, as a crash would

    def rotation() -> dict[str, Any]:
        versions: dict[str, Any] = local_runs.json("local", "status", "--stack", "pair")[
            "endpoints"
        ]["pair"]["versions"]
        return dict(versions["va"])

    _wait(lambda: rotation()["replicas_in_rotation"] == 1, 15, "the router to take r2 out")
    assert rotation()["replicas_running"] == 1

    before = fetch_metrics(up["metrics_url"])
    responses = [score(port, bearer(key)) for _ in range(20)]
    after = fetch_metrics(up["metrics_url"])
    assert [r.status for r in responses] == [200] * 20
    assert _sessions(after, "r2") == _sessions(before, "r2")  # nothing sent to the dead one
    assert _sessions(after, "r1") - _sessions(before, "r1") == 20


def test_down_after_the_router_and_a_replica_crashed_stops_what_is_left(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    config = write_stack(tmp_path, "pair", PAIR_STACK, {"models/good.py": GOOD_SCRIPT})
    local_runs.up_ok("pair", "--config", str(config), "--port", str(free_port()))
    state = _state(local_runs, "pair")
    # the masters die, their workers (same group, same marker) are left behind
    for name in ("pair-router", "pair-va-1"):
        os.kill(_process(state, name)["pid"], signal.SIGKILL)
    assert local_runs.leftovers("pair")

    down = local_runs.cli("local", "down", "--stack", "pair")
    assert down.returncode == 0, down.stderr
    assert "stopped the local run of stack pair" in down.stderr
    assert not local_runs.run_dir("pair").exists()
    assert local_runs.leftovers("pair") == set()


def test_down_after_up_itself_was_killed_half_way(local_runs: LocalRuns, tmp_path: Path) -> None:
    slow_init = (
        "import time\n\ndef init():\n    time.sleep(60)\n\ndef run(raw_data):\n    return {}\n"
    )
    config = write_stack(tmp_path, "pair", PAIR_STACK, {"models/good.py": slow_init})
    local_runs.stacks.add("pair")
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "local",
            "up",
            "--stack",
            "pair",
            "--config",
            str(config),
            "--port",
            str(free_port()),
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "MODEL_ENDPOINTS_RUN_DIR": str(local_runs.root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        state_file = local_runs.run_dir("pair") / "state.json"
        _wait(
            lambda: (
                state_file.exists() and len(json.loads(state_file.read_text())["processes"]) == 2
            ),
            60,
            "both replicas to be recorded",
        )
    finally:
        up.kill()  # `local up` dies while its replicas are still in init()
        up.wait(timeout=10)
    assert len(local_runs.leftovers("pair")) >= 2

    down = local_runs.cli("local", "down", "--stack", "pair")
    assert down.returncode == 0, down.stderr
    assert not local_runs.run_dir("pair").exists()
    assert local_runs.leftovers("pair") == set()
    stop_processes([], str(local_runs.run_dir("pair")))  # nothing left to stop: a no-op
