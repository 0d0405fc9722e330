"""An endpoint's routers in a cluster, as the step engine drives them: one ConfigMap and the pods.

A table is written into the routing ConfigMap `<endpoint>-router-routing` (`split.map` and
`revision`, the files of the routing directory each router's agent watches), re-read before each
write so the write carries the resourceVersion it replaces. What each live router applied is its
agent's `GET /routing`, its per-version counters are `GET /metrics?scope=backend` and its
per-version request times its agent's `GET /latency?window=N`, all read on the metrics port
through the API server's pod proxy. Every call goes through `kube_adapter`.

Live routers are the router pods that are Running, Ready and not being deleted: a pod that is not
Ready gets no traffic from the Service, and one that becomes Ready starts from the mounted file.
"""

from __future__ import annotations

from collections.abc import Sequence

from kube_adapter import (
    ClusterAdapter,
    ClusterError,
    ConfigMapData,
    ForbiddenError,
    KubeconfigError,
    NotFoundError,
    UnauthorizedError,
    routing_config_map_name,
)
from router.split import render_split_map
from router_agent.routing_dir import REVISION_FILE, routing_files
from router_agent.status_server import LATENCY_PATH
from specification.routing import RoutingTable

__all__ = ["ClusterRouters", "RoutersNotApplying", "config_map_revision"]

_METRICS_QUERY = {"scope": "backend"}  # only the backends' counters: what the alarms read


class RoutersNotApplying(ClusterError):
    """A router's agent reports an error instead of the table last written (it refused it, or
    cannot apply it yet); the engine holds the step, and the message reaches a timeout's text."""


def config_map_revision(config_map: ConfigMapData) -> int | None:
    """The revision a routing ConfigMap holds, or None when it holds none that parses."""
    text = config_map.data.get(REVISION_FILE, "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


class ClusterRouters:
    """A `rollout.RouterControl` (and the scrape of a `RouterMetricsStats`) over the endpoint
    `endpoint`'s routers in `namespace`."""

    def __init__(self, adapter: ClusterAdapter, namespace: str, endpoint: str) -> None:
        self.adapter = adapter
        self.namespace = namespace
        self.endpoint = endpoint
        self.config_map_name = routing_config_map_name(endpoint)
        self.written: int | None = None  # the revision of the last table written

    def read_routing(self) -> ConfigMapData | None:
        """The routing ConfigMap, or None when it does not exist (yet)."""
        try:
            return self.adapter.read_config_map(self.namespace, self.config_map_name)
        except NotFoundError:
            return None

    def apply(self, table: RoutingTable, revision: int) -> None:
        """Write `table` as `revision`: the whole data, replacing exactly what was just read."""
        current = self.adapter.read_config_map(self.namespace, self.config_map_name)
        self.adapter.write_config_map(current, routing_files(render_split_map(table), revision))
        self.written = revision

    def live_pods(self) -> list[str]:
        """The names of the router pods that serve: Running, Ready, not being deleted."""
        pods = self.adapter.list_router_pods(self.namespace, self.endpoint)
        return [
            pod.name for pod in pods if pod.phase == "Running" and pod.ready and not pod.terminating
        ]

    def applied_revisions(self) -> Sequence[int | None]:
        """The revision each live router's agent reports (None: no answer, or none yet).

        A refused credential or RBAC rule raises (every poll would fail alike: the engine shows
        why it waits); so does an agent reporting an error instead of the last table written."""
        revisions: list[int | None] = []
        refusals: list[str] = []
        for pod in self.live_pods():
            try:
                answer = self.adapter.read_router_routing(self.namespace, pod)
            except (ForbiddenError, UnauthorizedError, KubeconfigError):
                raise
            except ClusterError:
                revisions.append(None)  # this pod does not answer (yet)
                continue
            revision = answer.get("revision")
            applied = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
            revisions.append(applied)
            error = answer.get("error")
            if error and applied != self.written:
                refusals.append(f"router pod {pod!r} reports: {error}")
        if refusals:
            raise RoutersNotApplying("; ".join(refusals))
        return revisions

    def read_latency(self, seconds: int) -> dict[str, str]:
        """`{pod: its agent's /latency answer over the last `seconds`}` for every live router
        whose agent keeps request times; raises if one cannot be read. A pod answering 404 runs
        a router from before request times (its pod rolls with this `up`'s Router update) and
        is left out: its requests are not in the p99, which is not judged without any."""
        answers = {}
        for pod in self.live_pods():
            try:
                answers[pod] = self.adapter.read_pod_http(
                    self.namespace, pod, LATENCY_PATH.lstrip("/"), query={"window": str(seconds)}
                )
            except NotFoundError:
                continue
        return answers

    def scrape_metrics(self) -> dict[str, str]:
        """`{pod: its /metrics?scope=backend text}` for every live router; raises if one cannot
        be read, so a silent router shows as an unreadable alarm, not as fewer requests."""
        return {
            pod: self.adapter.read_pod_http(self.namespace, pod, "metrics", query=_METRICS_QUERY)
            for pod in self.live_pods()
        }
