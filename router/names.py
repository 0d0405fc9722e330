"""Names the router's configuration uses for versions, shared with the autoscaler's queries.

The backend name is also the `proxy` label of the router's Prometheus metrics, so the autoscaler's
queries and the rendered config must derive it the same way: through `backend_name`.
"""

from __future__ import annotations

from router.validation import check_name
from router_agent.routing_dir import SPLIT_MAP_FILE
from router_agent.safe_values import BACKEND_PREFIX, GREEN_SUFFIX

__all__ = [
    "GREEN_SUFFIX",
    "backend_name",
    "green_target",
    "is_green_target",
    "target_backend",
    "version_of_target",
    "SCORING_FRONTEND",
    "METRICS_FRONTEND",
    "RESOLVERS",
    "SPLIT_MAP",
    "VERSIONS_MAP",
    "API_KEYS_MAP",
    "REPLICA_PREFIX",
    "ROUTING_AGENT_BACKEND",
    "request_log_socket",
]

SCORING_FRONTEND = "fe_scoring"
METRICS_FRONTEND = "fe_metrics"
RESOLVERS = "cluster"
REPLICA_PREFIX = "r"  # replica servers are r1, r2, ... (server-template r 1-N)
# The routing agent beside HAProxy, behind the metrics port's /routing. Not `be_...`: no split or
# pinning lookup can ever name it.
ROUTING_AGENT_BACKEND = "routing_agent"

# The split map, relative to RouterSettings.routing_dir (the routing agent's file name).
SPLIT_MAP = SPLIT_MAP_FILE  # rand(10000) bucket range -> backend
# Map files, relative to RouterSettings.map_dir.
VERSIONS_MAP = "versions.map"  # pinned version name -> backend
API_KEYS_MAP = "apikeys.map"  # sha256(key) hex -> key id (primary / secondary)


def backend_name(version: str) -> str:
    """The HAProxy backend that serves `version` (raises ValueError for a name unsafe in config)."""
    return f"{BACKEND_PREFIX}{check_name(version, 'version name')}"


def green_target(version: str) -> str:
    """The routing-table entry of `version`'s new pods while it is replaced blue/green: the
    table's `v` is the old pods (blue), `v_green` the new ones; both answer as version `v`."""
    return f"{check_name(version, 'version name')}{GREEN_SUFFIX}"


def is_green_target(target: str) -> bool:
    return target.endswith(GREEN_SUFFIX)


def version_of_target(target: str) -> str:
    """The version a routing-table entry serves: `v` for `v` and for `v_green`."""
    return target[: -len(GREEN_SUFFIX)] if is_green_target(target) else target


def target_backend(target: str) -> str:
    """The backend of a routing-table entry: `be_v` for `v`, `be_v_green` for `v_green`."""
    if is_green_target(target):
        return f"{backend_name(version_of_target(target))}{GREEN_SUFFIX}"
    return backend_name(target)


def request_log_socket(admin_socket: str) -> str:
    """The request log's unix socket, beside the admin socket: `.../admin.sock` ->
    `.../admin.requests.sock`. The routing agent binds it and HAProxy logs each request to it;
    deriving it from the admin socket keeps the two in the one directory both processes share
    (a pod's run volume, a local run's private socket directory)."""
    stem = admin_socket[: -len(".sock")] if admin_socket.endswith(".sock") else admin_socket
    return f"{stem}.requests.sock"
