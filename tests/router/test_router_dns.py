"""The cluster form through the real haproxy: replicas discovered by DNS (`server-template` +
`resolvers`, as for a headless Service), each discovered replica with its own `maxconn`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from conftest import make_spec
from dns_stub import DnsStub
from router_harness import (
    PythonBackend,
    RouterProcess,
    answers,
    metric,
    send_in_background,
    wait_until,
)

from router import AuthMaterial, DnsReplicas, StaticReplicas

SERVICE = "ep-v2.ep.svc.cluster.local"


@pytest.fixture
def dns_stub() -> Iterator[Callable[..., DnsStub]]:
    started: list[DnsStub] = []

    def start(records: dict[str, list[str]]) -> DnsStub:
        stub = DnsStub(records)
        started.append(stub)
        return stub.start()

    try:
        yield start
    finally:
        for stub in started:
            stub.stop()


def _server_states(router: RouterProcess, backend: str) -> dict[str, list[str]]:
    """server name -> fields of `show servers state` (addr is field 4, admin state field 7)."""
    states = {}
    for line in router.admin(f"show servers state {backend}").splitlines()[2:]:
        fields = line.split()
        if len(fields) > 4:
            states[fields[3]] = fields
    return states


def test_replicas_discovered_through_dns(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    dns_stub: Callable[..., DnsStub],
) -> None:
    v1, v2 = python_backends("v1", "v2")
    dns = dns_stub({SERVICE: ["127.0.0.1"]})  # one ready pod behind the headless Service
    spec = make_spec(
        {"name": "v1"},
        {
            "name": "v2",
            "traffic_percentile": 100,
            "autoscale_max_replicas": 3,
            "replica_max_concurrent_requests": 4,
            "max_request_wait_time": 3000,
        },
    )
    router = start_router(
        spec,
        spec.routing,
        {
            "v1": StaticReplicas((v1.address,)),
            "v2": DnsReplicas(SERVICE, v2.port, spec.version("v2").max_replicas),
        },
        AuthMaterial(),
        nameserver=dns.address,
    )
    assert (
        f"server-template r 1-3 {SERVICE}:{v2.port} resolvers cluster resolve-prefer ipv4 "
        "init-addr none maxconn 4"
    ) in router.config.haproxy_cfg

    deadline = time.monotonic() + 10
    while _server_states(router, "be_v2").get("r1", [""] * 5)[4] != "127.0.0.1":
        assert time.monotonic() < deadline, f"not resolved; DNS queries: {dns.queries}"
        time.sleep(0.1)

    for _ in range(10):
        response = router.request()
        assert response.status == 200
        assert response.json() == {"served_by": "v2"}
        assert response.headers["x-model-version"] == "v2"
    assert (SERVICE, 1) in dns.queries
    # three slots (max replicas), one filled: r2 and r3 have no address and wait in
    # resolution maintenance (admin state 32) for more pods
    states = _server_states(router, "be_v2")
    assert sorted(states) == ["r1", "r2", "r3"]
    assert [(states[s][4], states[s][6]) for s in ("r2", "r3")] == [("-", "32"), ("-", "32")]
    metrics = router.metrics()
    for slot in ("r1", "r2", "r3"):
        assert f'haproxy_server_limit_sessions{{proxy="be_v2",server="{slot}"}} 4' in metrics

    # the discovered replica takes at most 4 requests at once; the rest queue (held at the
    # replica until released, so the state is read while it lasts)
    pending = send_in_background(router, 6, {"x-hold": "1"})
    try:
        # (the router counts a request as sent before the replica has read it: wait for both)
        wait_until(
            lambda: v2.in_flight == 4
            and metric(router.metrics(), "haproxy_backend_current_queue", proxy="be_v2") == 2,
            "4 requests on the replica and 2 queued behind them",
        )
    finally:
        v2.release()
    assert [r.status for r in answers(pending)] == [200] * 6
    assert v2.peak == 4
