"""Names the router's configuration uses for versions, shared with the autoscaler's queries.

The backend name is also the `proxy` label of the router's Prometheus metrics, so the autoscaler's
queries and the rendered config must derive it the same way: through `backend_name`.
"""

from __future__ import annotations

from router.validation import check_name
from router_agent.routing_dir import SPLIT_MAP_FILE
from router_agent.safe_values import BACKEND_PREFIX

__all__ = [
    "backend_name",
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


def request_log_socket(admin_socket: str) -> str:
    """The request log's unix socket, beside the admin socket: `.../admin.sock` ->
    `.../admin.requests.sock`. The routing agent binds it and HAProxy logs each request to it;
    deriving it from the admin socket keeps the two in the one directory both processes share
    (a pod's run volume, a local run's private socket directory)."""
    stem = admin_socket[: -len(".sock")] if admin_socket.endswith(".sock") else admin_socket
    return f"{stem}.requests.sock"
