"""What local mode protects, through the `model-endpoints` command with real processes: a
directory of the stack's name that `local up` did not create is never removed, the caller's
secrets never reach a replica or the router, and a deep run directory's admin socket lives in a
private directory."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from local_runtime.run_directory import CREATED_MARKER
from tests.local_runtime.local_run_harness import LocalRuns, bearer, score, write_stack
from tests.ports import free_port

SECRETS = {
    "PULUMI_CONFIG_PASSPHRASE": "correct horse battery staple",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
}
# Answers with what the serving worker itself sees of the environment.
ECHO_ENV_SCRIPT = """
    import os

    def init():
        pass

    def run(raw_data):
        return {
            "model_size": os.environ.get("MODEL_SIZE"),
            "secrets_seen": sorted(
                name for name in ("PULUMI_CONFIG_PASSPHRASE", "AWS_SECRET_ACCESS_KEY")
                if name in os.environ
            ),
        }
"""
ECHO_STACK = """
    config:
      model-endpoints:endpoints:
        - name: echo
          versions:
            - name: v1
              env: {MODEL_SIZE: small}
              inference_config: {entry_script: models/echo.py}
"""


def _users_folder(runs: LocalRuns, stack: str) -> Path:
    notes = runs.run_dir(stack) / "src" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("my notes\n")
    return notes


def test_down_refuses_a_directory_up_did_not_create_and_removes_nothing(
    local_runs: LocalRuns,
) -> None:
    notes = _users_folder(local_runs, "dev")
    down = local_runs.cli("local", "down", "--stack", "dev")
    assert down.returncode == 1
    assert f"{local_runs.run_dir('dev')} is the run directory of stack dev" in down.stderr
    assert "did not create it" in down.stderr
    assert notes.read_text() == "my notes\n"


def test_up_refuses_a_directory_it_did_not_create_and_removes_nothing(
    local_runs: LocalRuns,
) -> None:
    notes = _users_folder(local_runs, "dev")
    up = local_runs.up("dev", "--port", str(free_port()))
    assert up.returncode == 1 and up.stdout == ""
    assert f"{local_runs.run_dir('dev')} is the run directory of stack dev" in up.stderr
    assert notes.read_text() == "my notes\n"
    assert sorted(p.name for p in local_runs.run_dir("dev").iterdir()) == ["src"]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if item)


@pytest.fixture
def deep_runs(tmp_path_factory: pytest.TempPathFactory, haproxy_installed: str) -> Any:
    # A run directory so deep that the router's admin socket cannot live in it.
    runs = LocalRuns(tmp_path_factory.mktemp("runs") / ("deep" * 16))
    try:
        yield runs
    finally:
        runs.cleanup()


def test_a_run_keeps_secrets_from_its_processes_and_its_socket_private(
    deep_runs: LocalRuns, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = write_stack(tmp_path, "echo", ECHO_STACK, {"models/echo.py": ECHO_ENV_SCRIPT})
    temporary = tmp_path_factory.mktemp("tmp")  # TMPDIR: where the private socket directory goes
    deep_runs.stacks.add("echo")
    up = deep_runs.cli(
        "local", "up", "--stack", "echo", "--config", str(config), "--port", str(free_port()),
        "--json",
        env={**SECRETS, "TMPDIR": str(temporary)},
    )
    assert up.returncode == 0, up.stderr
    document = json.loads(up.stdout)
    run_dir = deep_runs.run_dir("echo")
    assert (run_dir / CREATED_MARKER).is_file()

    answer = score(int(document["url"].split(":")[2].split("/")[0]), bearer(document["primary_key"]))
    assert answer.status == 200, answer.body
    assert answer.json() == {"model_size": "small", "secrets_seen": []}

    state = json.loads((run_dir / "state.json").read_text())
    for process in state["processes"]:  # the replica and the router as they were started
        environ = _environ(process["pid"])
        assert not set(SECRETS) & set(environ), process["name"]
    replica = next(p for p in state["processes"] if p["kind"] == "replica")
    assert _environ(replica["pid"])["MODEL_SIZE"] == "small"

    sockets = temporary / f"model-endpoints-{os.getuid()}"
    # the admin socket and, beside it, the routing agent's request log (the per-request times)
    admin_socket, request_log = state["extra_files"]
    assert request_log == admin_socket.removesuffix(".sock") + ".requests.sock"
    assert Path(admin_socket).parent == sockets
    assert stat.S_IMODE(os.lstat(sockets).st_mode) == 0o700
    assert stat.S_ISSOCK(os.lstat(admin_socket).st_mode)

    down = deep_runs.cli("local", "down", "--stack", "echo")
    assert down.returncode == 0, down.stderr
    assert not run_dir.exists() and not Path(admin_socket).exists()
    assert not Path(request_log).exists()
    assert deep_runs.leftovers("echo") == set()
