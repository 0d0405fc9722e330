"""The routing agent as a real process, run the way its sidecar runs it.

`agent_package` copies the `router_agent` package alone into a directory, and `AgentProcess`
runs `python -S -E -s -m router_agent ...` there: no site-packages, no environment settings, no
other file of the project, so a test passes only if the agent needs nothing but the standard
library and its own files. Every process has a `stop()` the fixtures call in `finally`; every
wait is bounded.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from local_runtime.ports import wait_for_listener
from router_agent.command_line import AgentOptions, agent_arguments
from tests.router.router_harness import LOOPBACK, RouterProcess, http_request

PROJECT_DIR = Path(__file__).resolve().parents[2]
POLL_SECONDS = 0.05


def copy_agent_package(destination: Path) -> Path:
    """`destination/router_agent/*.py`: the agent's files and nothing else; returns destination."""
    package = destination / "router_agent"
    package.mkdir(parents=True)
    for source in (PROJECT_DIR / "router_agent").glob("*.py"):
        shutil.copy(source, package / source.name)
    return destination


# The sidecar's command: no site-packages (-S), no PYTHON* variables (-E), no user site (-s); `-m`
# imports the package from the working directory, the copy.
AGENT_COMMAND = (sys.executable, "-S", "-E", "-s", "-m", "router_agent")


class AgentProcess:
    """The routing agent of `router`, from the copied package in `package_root`."""

    def __init__(self, package_root: Path, router: RouterProcess, log_path: Path) -> None:
        self.package_root = package_root
        self.router = router
        self.log_path = log_path
        self.options = AgentOptions(
            routing_dir=router.routing_dir,
            admin_socket=router.settings.admin_socket,
            map_path=router.config.split_map_path,
            host=LOOPBACK,
            port=router.agent_port,
            poll_seconds=POLL_SECONDS,
            request_log=router.config.request_log_socket,
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self) -> AgentProcess:
        self._log = open(self.log_path, "ab")
        self._process = subprocess.Popen(
            [*AGENT_COMMAND, *agent_arguments(self.options)],
            cwd=self.package_root,
            env={"PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_listener(self.options.port)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, and the exit status once it has stopped."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        return self._process.wait(timeout=timeout)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def routing(self) -> dict[str, Any]:
        """`GET /routing` on the router's metrics port: what the router reports it applied."""
        response = http_request(self.router.metrics_port, path="/routing", timeout=5)
        assert response.status == 200, (response.status, response.body, self.log_text())
        document: dict[str, Any] = json.loads(response.body)
        return document

    def latency(self, window: int) -> dict[str, Any]:
        """`GET /latency?window=N` on the router's metrics port: the agent's request times."""
        response = http_request(self.router.metrics_port, path=f"/latency?window={window}", timeout=5)
        assert response.status == 200, (response.status, response.body, self.log_text())
        document: dict[str, Any] = json.loads(response.body)
        return document

    def wait_for(self, revision: int, error: bool = False, timeout: float = 5.0) -> dict[str, Any]:
        """Poll /routing every 20 ms until it reports `revision` with an error (or without one,
        unless `error`); returns that report. AssertionError with the last report and the
        agent's log after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.routing()
            if report["revision"] == revision and (report["error"] is not None) == error:
                return report
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"/routing never reported revision {revision} (error: {error}); last: "
                    f"{report}\nagent log:\n{self.log_text()}"
                )
            time.sleep(0.02)
