"""Wait until a run is up: every replica answers its health check, then the router routes to all,
then the router reports (through its routing agent) the revision of the table it was given.

A replica whose server exits (its `init()` raised, its port was taken) fails the wait at once
with the reason read from its log, e.g. the exception `init()` raised; one that never answers
fails at the deadline. Every wait is bounded.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from local_runtime.errors import ReplicaStartError, RouterStartError
from local_runtime.loopback_http import loopback_request
from local_runtime.metrics import fetch_metrics, version_metrics
from local_runtime.routing_agent import routing_status
from local_runtime.run_plan import EndpointPlan, ReplicaPlan

__all__ = [
    "StartingReplica",
    "failure_reason",
    "log_tail",
    "wait_for_replicas",
    "wait_for_router",
    "wait_for_routing",
]

_POLL_SECONDS = 0.1
_TRACEBACK = "Traceback (most recent call last):"
_SERVER_PACKAGE = "azureml_inference_server_http."
_PLAIN_FAILURES = re.compile(
    r"(Connection in use|Address already in use|Can't connect to|Reason:|No module named|Error:)"
)


@dataclass
class StartingReplica:
    """A replica process being waited for."""

    plan: ReplicaPlan
    process: subprocess.Popen[bytes]
    log_path: Path


def log_tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def failure_reason(log_text: str) -> str:
    """Why an inference server stopped, from its output: the user's exception if a traceback
    shows one (the innermost that is not the server's own wrapper), else the server's last
    error line, else the last line."""
    lines = log_text.splitlines()
    exceptions: list[str] = []
    in_traceback = False
    for line in lines:
        if _TRACEBACK in line:
            in_traceback = True
        elif in_traceback and line.strip() and not line.startswith((" ", "\t")):
            exceptions.append(line.strip())  # the first unindented line ends a traceback
            in_traceback = False
    users = [line for line in exceptions if not line.startswith(_SERVER_PACKAGE)]
    if users:
        return users[-1]
    if exceptions:
        return exceptions[-1]
    plain = [line.strip() for line in lines if _PLAIN_FAILURES.search(line)]
    if plain:
        return plain[-1]
    return lines[-1].strip() if lines else "it exited without any output"


def _answers(port: int, path: str) -> bool:
    try:
        return loopback_request(port, path, timeout=2.0).status == 200
    except (OSError, http.client.HTTPException):
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def wait_for_replicas(
    replicas: Sequence[StartingReplica],
    timeout: float,
    on_ready: Callable[[ReplicaPlan], None] = lambda replica: None,
) -> None:
    """Return once every replica answers 200 on its `health_path`; ReplicaStartError naming the
    version as soon as one exits, or at the deadline for those still silent."""
    pending = list(replicas)
    deadline = time.monotonic() + timeout
    while pending:
        for replica in list(pending):
            if replica.process.poll() is not None:
                text = _read(replica.log_path)
                raise ReplicaStartError(
                    replica.plan.endpoint,
                    replica.plan.version,
                    f"its inference server exited (code {replica.process.returncode}): "
                    f"{failure_reason(text)}",
                    log_tail(text),
                )
            if _answers(replica.plan.port, replica.plan.health_path):
                pending.remove(replica)
                on_ready(replica.plan)
        if pending and time.monotonic() > deadline:
            late = pending[0]
            raise ReplicaStartError(
                late.plan.endpoint,
                late.plan.version,
                f"replica {late.plan.name} did not answer GET {late.plan.health_path} on port "
                f"{late.plan.port} within {timeout:g}s (raise --timeout if its init() is slow)",
                log_tail(_read(late.log_path)),
            )
        if pending:
            time.sleep(_POLL_SECONDS)


def wait_for_router(
    endpoint: EndpointPlan, process: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> None:
    """Return once the router answers on its metrics port and reports every replica of every
    version in rotation; RouterStartError otherwise.

    In rotation means UP, which HAProxy assumes at start before its own first check of a server
    (those are spread over `period_seconds`); the replicas answered the same health path just
    before, in `wait_for_replicas`. Waiting for the router's own checks too would add up to
    `period_seconds` to every `local up`."""
    deadline = time.monotonic() + timeout
    expected = {version: len(endpoint.replicas_of(version)) for version in endpoint.traffic}
    last = "no answer on its metrics port"
    while True:
        if process.poll() is not None:
            raise RouterStartError(
                f"the router of endpoint {endpoint.name} exited (code {process.returncode}):\n"
                f"{log_tail(_read(log_path))}"
            )
        try:
            samples = fetch_metrics(endpoint.metrics_url)
            up = {v: version_metrics(samples, v).servers_up for v in expected}
            if up == expected and _answers_scoring_port(endpoint.port):
                return
            last = ", ".join(
                f"{v}: {up[v]} of {n} replicas in rotation" for v, n in expected.items()
            )
        except (OSError, http.client.HTTPException) as error:
            last = f"metrics port: {error}"
        if time.monotonic() > deadline:
            raise RouterStartError(
                f"the router of endpoint {endpoint.name} was not ready within {timeout:g}s ({last})"
            )
        time.sleep(_POLL_SECONDS)


def _answers_scoring_port(port: int) -> bool:
    """Any HTTP answer (401 without a key is fine): the scoring frontend is listening."""
    try:
        loopback_request(port, "/", timeout=2.0)
    except (OSError, http.client.HTTPException):
        return False
    return True


def wait_for_routing(
    endpoint: EndpointPlan,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout: float,
    revision: int,
) -> None:
    """Return once the router's metrics port reports `revision` applied by its routing agent;
    RouterStartError when the agent exits, or at the deadline with the last answer (the agent's
    own error, e.g. a table it refused)."""
    deadline = time.monotonic() + timeout
    last = "no answer on /routing"
    while True:
        if process.poll() is not None:
            raise RouterStartError(
                f"the routing agent of endpoint {endpoint.name} exited (code "
                f"{process.returncode}):\n{log_tail(_read(log_path))}"
            )
        try:
            status = routing_status(endpoint.metrics_port)
            if status.get("revision") == revision and status.get("error") is None:
                return
            last = f"/routing answered {status}"
        except (OSError, ValueError, http.client.HTTPException) as error:
            last = f"/routing: {error}"
        if time.monotonic() > deadline:
            raise RouterStartError(
                f"the router of endpoint {endpoint.name} did not report routing revision "
                f"{revision} within {timeout:g}s ({last})"
            )
        time.sleep(_POLL_SECONDS)
