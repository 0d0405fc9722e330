"""Request handling limits through the real haproxy: per-replica concurrency from
`replica_max_concurrent_requests`, the queue bounded by `max_request_wait_time` (503), and
`scoring_timeout_ms` (504) — each error still saying which version it came from."""

from __future__ import annotations

from collections.abc import Callable

from conftest import make_spec
from router_harness import (
    PythonBackend,
    RouterProcess,
    answers,
    metric,
    send_in_background,
    wait_until,
)

from router import AuthMaterial, StaticReplicas, backend_name


def test_per_replica_maxconn_and_queue_timeout(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    # 2 replicas x 2 concurrent = 4 slots. Requests are held at the replicas until released, so
    # which request waits, and for how long, does not depend on how fast this machine is.
    spec = make_spec(
        {"name": "v1", "replica_max_concurrent_requests": 2, "max_request_wait_time": 1500}
    )
    replicas = python_backends("v1-a", "v1-b")
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas(tuple(b.address for b in replicas))},
        AuthMaterial(),
    )
    assert "maxconn 2" in router.config.haproxy_cfg
    assert "timeout queue 1500ms" in router.config.haproxy_cfg
    held = {"x-hold": "1"}

    def queued() -> float:
        return metric(router.metrics(), "haproxy_backend_current_queue", proxy=backend_name("v1"))

    # 4 requests fill the 4 slots: 2 on each replica, none queued
    running = send_in_background(router, 4, held)
    wait_until(lambda: sum(b.in_flight for b in replicas) == 4, "4 requests on the replicas")
    assert [b.in_flight for b in replicas] == [2, 2]
    assert queued() == 0

    # 4 more wait in the queue; no slot frees up within max_request_wait_time: 503
    timed_out = send_in_background(router, 4, held)
    wait_until(lambda: queued() == 4, "4 queued requests")
    assert [r.status for r in answers(timed_out)] == [503] * 4
    assert queued() == 0

    # 4 more wait in the queue and get a slot in time once the first 4 are answered
    served_late = send_in_background(router, 4, held)
    wait_until(lambda: queued() == 4, "4 queued requests")
    for replica in replicas:
        replica.release()
    responses = answers(running) + answers(served_late)

    assert [r.status for r in responses] == [200] * 8
    assert [b.peak for b in replicas] == [2, 2]  # never more than maxconn on one replica
    assert sum(b.requests for b in replicas) == 8  # the timed-out requests never reached one
    for response in [*responses, *answers(timed_out)]:
        assert response.headers["x-model-version"] == "v1"
        assert response.headers["x-model-role"] == "treatment"


def test_scoring_timeout_gives_504(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec(
        {"name": "v1", "is_control_version_type": True, "scoring_timeout_ms": 500},
        {"name": "v2", "scoring_timeout_ms": 5000},
    )
    v1, v2 = python_backends("v1", "v2")
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((v1.address,)), "v2": StaticReplicas((v2.address,))},
        AuthMaterial(),
    )

    slow = router.request(headers={"x-model-version": "v1", "x-sleep-ms": "1500"})
    assert slow.status == 504
    assert slow.headers["x-model-version"] == "v1"
    assert slow.headers["x-model-role"] == "control"
    # the same delay is within v2's own timeout
    within = router.request(headers={"x-model-version": "v2", "x-sleep-ms": "1500"})
    assert within.status == 200
    assert within.json() == {"served_by": "v2"}
    # v1 still serves fast requests after the timeout
    assert router.request(headers={"x-model-version": "v1"}).status == 200
