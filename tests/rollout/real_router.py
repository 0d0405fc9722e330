"""A real haproxy router on loopback for the alarm readers' tests: versions `v1` (answers 200) and
`v2` (answers 500, as a broken model would), served by one haproxy of echo replicas, and the
router from the router tests' harness in front. Both are stopped when the context exits."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator, Mapping
from pathlib import Path

from router import AuthMaterial, StaticReplicas
from specification import EndpointSpec, VersionSpec
from specification.routing import RoutingTable
from tests.ports import free_port
from tests.router.router_harness import (
    HEALTH_PATH,
    LOOPBACK,
    HAProxyProcess,
    RouterProcess,
    haproxy_check,
)

STATUSES = {"v1": 200, "v2": 500}


class StatusBackends:
    """One replica per version, each answering its status to scoring requests (and 200 to the
    router's health checks, so a failing version stays in rotation)."""

    def __init__(self, workdir: Path, statuses: Mapping[str, int]) -> None:
        self.ports = {name: free_port() for name in statuses}
        lines = ["global", "    nbthread 1", "defaults", "    mode http"]
        lines += ["    timeout connect 1s", "    timeout client 10s", "    timeout server 10s"]
        for index, (name, status) in enumerate(statuses.items()):
            lines += [
                f"frontend replica{index}",
                f"    bind {LOOPBACK}:{self.ports[name]}",
                f"    http-request return status 200 if {{ path {HEALTH_PATH} }}",
                f'    http-request return status {status} content-type text/plain string "{name}"',
            ]
        workdir.mkdir(parents=True, exist_ok=True)
        cfg = workdir / "replicas.cfg"
        cfg.write_text("\n".join(lines) + "\n")
        haproxy_check(cfg)
        self.process = HAProxyProcess(cfg, workdir / "replicas.log", self.ports.values())

    def address(self, name: str) -> str:
        return f"{LOOPBACK}:{self.ports[name]}"


def endpoint_spec() -> EndpointSpec:
    return EndpointSpec(
        name="ep",
        auth_enabled=False,
        versions=[
            VersionSpec(
                name=name,
                image="example/model:1",
                health_path=HEALTH_PATH,
                period_seconds=1,
                is_default=name == "v1",
                traffic_percentile=0,
            )
            for name in STATUSES
        ],
    )


@contextlib.contextmanager
def running_router(workdir: Path, routing: RoutingTable) -> Iterator[RouterProcess]:
    """The router serving `routing` over the two versions, until the context exits."""
    backends = StatusBackends(workdir / "replicas", STATUSES)
    spec = endpoint_spec()
    replicas = {name: StaticReplicas((backends.address(name),)) for name in STATUSES}
    router = RouterProcess(workdir / "router", spec, routing, replicas, AuthMaterial())
    try:
        backends.process.start()
        router.start()
        router.wait_healthy()
        yield router
    finally:
        router.stop()
        backends.process.stop()


def score(router: RouterProcess, count: int, version: str | None = None) -> list[tuple[int, str]]:
    """`count` scoring requests on one keep-alive connection (pinned to `version` if given):
    `(status, x-model-version)` of each."""
    headers = {"x-model-version": version} if version else {}
    answers = []
    connection = http.client.HTTPConnection(LOOPBACK, router.port, timeout=10)
    try:
        for _ in range(count):
            connection.request("GET", "/score", headers=headers)
            response = connection.getresponse()
            response.read()
            answers.append((response.status, response.getheader("x-model-version", "")))
            if (response.getheader("connection") or "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection(LOOPBACK, router.port, timeout=10)
    finally:
        connection.close()
    return answers
