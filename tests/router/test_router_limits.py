"""Request handling limits through the real haproxy: per-replica concurrency from
`replica_max_concurrent_requests`, the queue bounded by `max_request_wait_time` (503), and
`scoring_timeout_ms` (504) — each error still saying which version it came from."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from conftest import make_spec
from router_harness import PythonBackend, Response, RouterProcess

from router import AuthMaterial, StaticReplicas


def _concurrently(router: RouterProcess, count: int, headers: dict[str, str]) -> list[Response]:
    barrier = threading.Barrier(count)
    responses: list[Response | BaseException] = [RuntimeError("not run")] * count

    def one(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = router.request(headers=headers)
        except BaseException as error:  # reported below
            responses[index] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    errors = [r for r in responses if isinstance(r, BaseException)]
    assert not errors, errors
    return [r for r in responses if isinstance(r, Response)]


def test_per_replica_maxconn_and_queue_timeout(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    # 2 replicas x 2 concurrent = 4 slots. 12 requests of 800 ms arrive together: 4 run at once,
    # 4 wait ~800 ms (< 1200 ms) and run, 4 would wait ~1600 ms (> 1200 ms) and get 503.
    spec = make_spec(
        {"name": "v1", "replica_max_concurrent_requests": 2, "max_request_wait_time": 1200}
    )
    replicas = python_backends("v1-a", "v1-b")
    router = start_router(
        spec,
        spec.effective_traffic(),
        {"v1": StaticReplicas(tuple(b.address for b in replicas))},
        AuthMaterial(),
    )
    assert "maxconn 2" in router.config.haproxy_cfg
    assert "timeout queue 1200ms" in router.config.haproxy_cfg

    responses = _concurrently(router, 12, {"x-sleep-ms": "800"})

    assert Counter(r.status for r in responses) == {200: 8, 503: 4}
    assert [b.peak for b in replicas] == [2, 2]  # never more than maxconn on one replica
    for response in responses:
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
        spec.effective_traffic(),
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
