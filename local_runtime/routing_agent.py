"""The routing agent of a local router: its routing directory and its command line.

A local router runs exactly as a router pod does: HAProxy reads the split map from a routing
directory laid out as kubelet lays out a ConfigMap volume (written here with the agent's own
kubelet-style writer, every file private to the user), and the routing agent (`router_agent`)
runs beside it as `python -S -m router_agent ...`: `-S` keeps site-packages off its path, so
locally too it runs on the standard library and its own files only, as in its slim sidecar.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from local_runtime.errors import LocalRunError
from local_runtime.loopback_http import loopback_request
from local_runtime.private_files import FILE_MODE
from local_runtime.run_plan import LOOPBACK, EndpointPlan
from router_agent.command_line import AgentOptions, agent_arguments
from router_agent.routing_dir import routing_files, write_generation
from router_agent.status_server import ROUTING_PATH

__all__ = [
    "INITIAL_REVISION",
    "LOCAL_POLL_SECONDS",
    "agent_argv",
    "agent_package_root",
    "routing_status",
    "write_routing_table",
]

INITIAL_REVISION = 1  # as a TrafficSplit's on create
LOCAL_POLL_SECONDS = 0.1  # a readlink every 100 ms: a change is live within a poll


def write_routing_table(endpoint: EndpointPlan, revision: int) -> str:
    """Write the endpoint's split map with `revision` into its routing directory (a new
    generation, swapped in atomically); returns the generation's directory name."""
    return write_generation(
        endpoint.routing_dir,
        routing_files(endpoint.router.split_map, revision),
        file_mode=FILE_MODE,
    )


def agent_package_root() -> Path:
    """The directory holding the `router_agent` package: the agent's working directory, from
    which `python -S -m router_agent` imports it."""
    spec = importlib.util.find_spec("router_agent")
    if spec is None or spec.origin is None:
        raise LocalRunError("router_agent is missing from this installation of model-endpoints")
    return Path(spec.origin).resolve().parent.parent


def agent_argv(endpoint: EndpointPlan, python: str = sys.executable) -> list[str]:
    """The command that runs the routing agent of `endpoint`'s router."""
    options = AgentOptions(
        routing_dir=endpoint.routing_dir,
        admin_socket=endpoint.router.admin_socket,
        map_path=endpoint.router.split_map_path,
        host=LOOPBACK,
        port=endpoint.agent_port,
        poll_seconds=LOCAL_POLL_SECONDS,
        request_log=endpoint.router.request_log_socket,
    )
    return [python, "-S", "-m", "router_agent", *agent_arguments(options)]


def routing_status(metrics_port: int, timeout: float = 2.0) -> dict[str, Any]:
    """`GET /routing` on a router's metrics port (forwarded to its agent): `{"revision",
    "applied_at", "error"}`. OSError (or http.client.HTTPException) when no agent answers."""
    response = loopback_request(metrics_port, ROUTING_PATH, timeout=timeout)
    try:
        document = response.json() if response.status == 200 else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise OSError(f"{ROUTING_PATH} answered HTTP {response.status}: {response.body[:200]!r}")
    return document
