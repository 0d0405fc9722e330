"""`local status`: per version, replicas running and in rotation, the share the run's record
gives it and the share the router serves now, requests served; per router the routing revision it
applied; and the traffic shift `local apply` is walking, or left behind when it was killed.

Process liveness comes from the recorded pids; rotation and request counts from the router's own
Prometheus metrics, the routing revision and the live shares from its metrics port's `/routing`
(its routing agent reports the table it applied), so they are what the router does, not what we
think it does. With the router down, the counts, the revision and the live shares are unknown
(None), not zero.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from local_runtime.errors import NotRunningError
from local_runtime.metrics import fetch_metrics, version_metrics
from local_runtime.process_control import is_running
from local_runtime.procfs import process_info
from local_runtime.routing_agent import routing_status
from local_runtime.routing_record import LocalShift
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import RunState, read_state
from router.names import green_target, target_backend
from specification.routing import STEPS_PER_PERCENT

__all__ = ["EndpointStatus", "GreenStatus", "RunReport", "VersionStatus", "read_run_status"]


@dataclass(frozen=True)
class GreenStatus:
    """A version's new replicas while `local apply` replaces it blue/green: their names, how
    many run, and the share the router sends them now (`be_<version>_green`)."""

    replicas: tuple[str, ...]
    replicas_running: int
    live_share: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "replicas": list(self.replicas),
            "replicas_running": self.replicas_running,
            "live_share": self.live_share,
        }


@dataclass(frozen=True)
class VersionStatus:
    name: str
    share: float  # effective percent of the endpoint's traffic
    is_default: bool
    replicas: int  # started
    replicas_running: int  # their processes alive
    replicas_in_rotation: int | None  # health checks passing, as the router sees it
    requests: int | None  # responses served since the router started
    live_share: float | None = None  # percent the router serves now (its /routing), None unknown
    green: GreenStatus | None = None  # its new replicas, while it is replaced blue/green

    def to_json(self) -> dict[str, object]:
        return {
            "green": None if self.green is None else self.green.to_json(),
            "share": self.share,
            "live_share": self.live_share,
            "is_default": self.is_default,
            "replicas": self.replicas,
            "replicas_running": self.replicas_running,
            "replicas_in_rotation": self.replicas_in_rotation,
            "requests": self.requests,
        }


@dataclass(frozen=True)
class EndpointStatus:
    name: str
    url: str
    metrics_url: str
    router_running: bool
    versions: tuple[VersionStatus, ...]
    skipped_versions: dict[str, str]
    # `{"revision", "applied_at", "error", "buckets"}` as the router's /routing answers; None if
    # unknown
    routing: dict[str, Any] | None = None
    revision: int | None = None  # the run record's revision of the table `share` is from
    shift: LocalShift | None = None
    shift_running: bool = False  # its `local apply` is alive (else it was killed)
    shift_problem: str | None = None  # a shift record that cannot be read: why

    def to_json(self) -> dict[str, object]:
        shift: dict[str, object] | None = None
        if self.shift is not None:
            shift = {**self.shift.to_json(), "running": self.shift_running}
        elif self.shift_problem is not None:
            shift = {"malformed": self.shift_problem, "running": False}
        return {
            "url": self.url,
            "metrics_url": self.metrics_url,
            "router_running": self.router_running,
            "revision": self.revision,
            "routing": self.routing,
            "shift": shift,
            "versions": {v.name: v.to_json() for v in self.versions},
            "skipped_versions": self.skipped_versions,
        }


@dataclass(frozen=True)
class RunReport:
    stack: str
    run_dir: str
    started_at: str
    status: str
    endpoints: tuple[EndpointStatus, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "run_dir": self.run_dir,
            "started_at": self.started_at,
            "status": self.status,
            "endpoints": {e.name: e.to_json() for e in self.endpoints},
        }


def _routing(routing_url: str) -> dict[str, Any] | None:
    port = urlsplit(routing_url).port if routing_url else None
    if port is None:
        return None
    try:
        return routing_status(port)
    except (OSError, http.client.HTTPException):
        return None


def _live_share(routing: dict[str, Any] | None, target: str) -> float | None:
    """The percent the router serves `target` (a version, or `<version>_green`)."""
    buckets = routing.get("buckets") if routing is not None else None
    if not isinstance(buckets, dict):
        return None
    return int(buckets.get(target_backend(target), 0)) / STEPS_PER_PERCENT


def _apply_alive(shift: LocalShift) -> bool:
    """Whether the `local apply` that recorded `shift` still runs (a pid reused since by another
    program would have to be a `local apply` too to be mistaken for it)."""
    if shift.driver is None:
        return False
    info = process_info(shift.driver.pid)
    return info is not None and not info.is_zombie and "apply" in info.argv


def _shift(record: dict[str, Any] | None) -> tuple[LocalShift | None, str | None]:
    """The shift record and None, or None and why it cannot be read."""
    if record is None:
        return None, None
    try:
        return LocalShift.from_json(record), None
    except ValueError as error:
        return None, str(error)


def _endpoint_status(state: RunState, name: str, running: dict[str, bool]) -> EndpointStatus:
    endpoint = state.endpoints[name]
    router_running = running.get(f"{name}-router", False)
    samples = None
    routing = None
    if router_running:
        try:
            samples = fetch_metrics(endpoint.metrics_url)
        except (OSError, http.client.HTTPException):
            samples = None
        routing = _routing(endpoint.routing_url)
    shift, problem = _shift(endpoint.shift)
    versions = []
    for version, share in endpoint.traffic.items():
        mine = [r for r in endpoint.replicas if r.version == version]
        blue_generation = min((r.generation for r in mine), default=1)
        replicas = [r.name for r in mine if r.generation == blue_generation]
        greens = tuple(r.name for r in mine if r.generation != blue_generation)
        green = (
            GreenStatus(
                greens,
                sum(running.get(r, False) for r in greens),
                _live_share(routing, green_target(version)),
            )
            if greens
            else None
        )
        metrics = version_metrics(samples, version) if samples is not None else None
        versions.append(
            VersionStatus(
                name=version,
                share=share,
                is_default=version == endpoint.default_version,
                replicas=len(replicas),
                replicas_running=sum(running.get(r, False) for r in replicas),
                replicas_in_rotation=metrics.servers_up if metrics else None,
                requests=metrics.requests if metrics else None,
                live_share=_live_share(routing, version),
                green=green,
            )
        )
    return EndpointStatus(
        name,
        endpoint.url,
        endpoint.metrics_url,
        router_running,
        tuple(versions),
        dict(endpoint.skipped_versions),
        routing,
        endpoint.routing.revision if endpoint.routing is not None else None,
        shift,
        shift is not None and _apply_alive(shift),
        problem,
    )


def read_run_status(layout: RunLayout, stack: str) -> RunReport:
    """The status of the run in `layout.root`; NotRunningError if there is none."""
    state = read_state(layout)
    if state is None:
        raise NotRunningError(
            f"stack {stack} is not running locally (no {layout.state_file}); "
            f"`model-endpoints local up --stack {stack}` starts it"
        )
    running = {p.name: is_running(p, state.marker) for p in state.processes}
    endpoints = tuple(_endpoint_status(state, name, running) for name in state.endpoints)
    return RunReport(state.stack, state.run_dir, state.started_at, state.status, endpoints)
