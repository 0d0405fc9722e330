"""A local router's configuration kept in step with the default and control of the table it serves.

The split map (the shares) lives in the routing directory and changes live; `haproxy.cfg` holds
what the rest of a table decides: the default backend and each version's A/B role header. So when
a shift writes a table with another default or control (its last step, or the rollback of that
step), the configuration is rendered again from the endpoint's spec and that table, with the
router's recorded site (ports, paths, replicas, key hashes), checked with `haproxy -c`, swapped in
by a rename, and the router reloaded as a master-worker HAProxy reloads without dropping a
connection: SIGUSR2 to the master, which starts a new worker on the new file (reading the split
map from the routing directory, which already holds the new table) while the old worker finishes
what it serves. A cluster rolls its router pods for the same change: their configuration
checksum changes.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from local_runtime.errors import LocalRunError
from local_runtime.haproxy import check_router_config, haproxy_binary
from local_runtime.private_files import write_private
from local_runtime.process_control import RecordedProcess, is_running
from local_runtime.procfs import children
from local_runtime.run_directory import RunLayout
from local_runtime.run_plan import LOOPBACK
from local_runtime.run_record import EndpointState
from router.endpoint_router import RouterSite, render_endpoint_router
from router.model import StaticReplicas
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = ["RenderConfig", "RouterReconfiguration", "local_router_renderer"]

RenderConfig = Callable[[RoutingTable], str]
_POLL_SECONDS = 0.05


def local_router_site(
    layout: RunLayout, endpoint: EndpointState, local_spec: EndpointSpec
) -> RouterSite | None:
    """Where `endpoint`'s local router runs, as `local up` placed it; None for a run recorded
    without its router's site (by an earlier model-endpoints)."""
    if not endpoint.agent_port or not endpoint.admin_socket:
        return None
    return RouterSite(
        map_dir=str(layout.router_dir(endpoint.name)),
        routing_dir=str(layout.routing_dir(endpoint.name)),
        admin_socket=endpoint.admin_socket,
        port=endpoint.port,
        metrics_port=endpoint.metrics_port,
        agent_port=endpoint.agent_port,
        bind_address=LOOPBACK,
        request_log=local_spec.router.request_times,
    )


def local_router_renderer(
    layout: RunLayout,
    endpoint: EndpointState,
    local_spec: EndpointSpec,
    key_hashes: Mapping[str, str] | None,
) -> RenderConfig | None:
    """`haproxy.cfg` of `endpoint`'s local router for a table, rendered as `local up` rendered
    it (same site, replicas and key hashes); None for a run recorded without its router's site."""
    site = local_router_site(layout, endpoint, local_spec)
    if site is None:
        return None
    replicas = {
        version.name: StaticReplicas(
            tuple(f"{LOOPBACK}:{r.port}" for r in endpoint.replicas if r.version == version.name)
        )
        for version in local_spec.versions
    }

    def render(table: RoutingTable) -> str:
        return render_endpoint_router(local_spec, table, replicas, key_hashes, site).haproxy_cfg

    return render


class RouterReconfiguration:
    """Called with each table written (a `LocalRouterControl` `after_write` hook): when the
    table's configuration differs from `cfg_path`'s, write it and reload the router `master`
    (the recorded HAProxy master process of the run marked `marker`)."""

    def __init__(
        self,
        render: RenderConfig,
        cfg_path: Path,
        master: RecordedProcess,
        marker: str,
        timeout: float = 15.0,
    ) -> None:
        self._render = render
        self.cfg_path = cfg_path
        self._master = master
        self._marker = marker
        self._timeout = timeout
        self.reloads = 0

    def matches(self, table: RoutingTable) -> bool:
        """Whether the running configuration is the one `table` renders."""
        return self.cfg_path.read_text(encoding="utf-8") == self._render(table)

    def __call__(self, table: RoutingTable, revision: int) -> None:
        text = self._render(table)
        if self.cfg_path.read_text(encoding="utf-8") == text:
            return
        staged = write_private(self.cfg_path.with_name(f".{self.cfg_path.name}.next"), text)
        check_router_config(haproxy_binary(), staged)
        os.replace(staged, self.cfg_path)
        self._reload(revision)

    def _reload(self, revision: int) -> None:
        master = self._master
        if not is_running(master, self._marker):
            raise LocalRunError(
                f"the router ({master.name}, pid {master.pid}) is not running, so the "
                f"configuration of revision {revision} cannot be loaded"
            )
        before = children(master.pid)
        os.kill(master.pid, signal.SIGUSR2)  # master-worker mode: a hitless reload
        deadline = time.monotonic() + self._timeout
        while not children(master.pid) - before:
            if time.monotonic() > deadline:
                raise LocalRunError(
                    f"the router ({master.name}, pid {master.pid}) started no new worker within "
                    f"{self._timeout:g} s of a reload for revision {revision}; see {master.log}"
                )
            time.sleep(_POLL_SECONDS)
        self.reloads += 1
