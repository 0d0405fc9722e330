"""Changes without dropped requests, through the real haproxy under load: weight changes through
the runtime API (and written to the map file, so a reload keeps them), and topology changes through
a hitless master-worker reload while slow requests are in flight."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from conftest import make_spec
from router_harness import (
    MIN_REQUESTS,
    BackgroundLoad,
    EchoBackends,
    PythonBackend,
    Response,
    RouterProcess,
)

from router import AuthMaterial, StaticReplicas, split_map_file
from tests.specs import routed


def _versions_served(router: RouterProcess, count: int) -> Counter[str]:
    return Counter(router.request().headers["x-model-version"] for _ in range(count))


def test_weight_changes_through_runtime_api_under_load(
    echo_backends: Callable[..., EchoBackends], start_router: Callable[..., RouterProcess]
) -> None:
    spec = make_spec({"name": "v1"}, {"name": "v2"})
    backends = echo_backends("v1-a", "v2-a")
    router = start_router(
        spec,
        spec.routing,
        {
            "v1": StaticReplicas((backends.address("v1-a"),)),
            "v2": StaticReplicas((backends.address("v2-a"),)),
        },
        AuthMaterial(),
    )
    assert _versions_served(router, 50) == {"v1": 50}
    changes = [10.0, 50.0, 90.0, 0.01, 75.5, 33.33, 100.0]

    with BackgroundLoad(router.port) as load:
        for percent in changes:
            router.set_weights({"v1": round(100 - percent, 2), "v2": percent})
            time.sleep(0.15)
        result = load.finish()

    assert len(result.responses) >= MIN_REQUESTS
    assert result.failures == []
    served = Counter(r.headers["x-model-version"] for r in result.responses)
    assert served["v1"] > 0 and served["v2"] > 0
    # the last change is live, and in the routing directory too: a reload keeps it
    assert _versions_served(router, 100) == {"v2": 100}
    name, content = split_map_file(routed(spec, {"v1": 0.0, "v2": 100.0}))
    assert (router.routing_dir / name).read_text() == content
    router.reload()
    assert _versions_served(router, 100) == {"v2": 100}


def test_topology_changes_through_hitless_reload_under_load(
    echo_backends: Callable[..., EchoBackends],
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec(
        {"name": "v1"},
        {"name": "v2", "traffic_percentile": 50},
        {"name": "slow", "max_request_wait_time": 5000},  # 0%: pinned slow requests only
    )
    backends = echo_backends("v1-a", "v2-a", "v2-b")
    (slow,) = python_backends("slow")
    v1 = StaticReplicas((backends.address("v1-a"),))
    slow_replicas = StaticReplicas((slow.address,))
    auth = AuthMaterial()
    router = start_router(
        spec,
        spec.routing,
        {"v1": v1, "v2": StaticReplicas((backends.address("v2-a"),)), "slow": slow_replicas},
        auth,
    )
    topologies = [
        # add a replica to v2
        (
            {"v1": 50.0, "v2": 50.0, "slow": 0.0},
            (backends.address("v2-a"), backends.address("v2-b")),
        ),
        # shift weight by file
        (
            {"v1": 20.0, "v2": 80.0, "slow": 0.0},
            (backends.address("v2-a"), backends.address("v2-b")),
        ),
        # remove the first replica of v2
        ({"v1": 20.0, "v2": 80.0, "slow": 0.0}, (backends.address("v2-b"),)),
    ]
    in_flight: list[Response] = []

    def slow_request() -> None:
        in_flight.append(router.request(headers={"x-model-version": "slow", "x-sleep-ms": "1200"}))

    slow_threads = []
    with BackgroundLoad(router.port) as load:
        for traffic, v2_servers in topologies:
            thread = threading.Thread(target=slow_request)
            thread.start()
            slow_threads.append(thread)
            time.sleep(0.1)  # the slow request is on the old worker
            router.rerender(
                routed(spec, traffic), {"v1": v1, "v2": StaticReplicas(v2_servers), "slow": slow_replicas}, auth
            )
            router.reload()
            time.sleep(0.3)
        result = load.finish()
    for thread in slow_threads:
        thread.join(timeout=15)

    assert len(result.responses) >= MIN_REQUESTS
    assert result.failures == []
    assert [r.status for r in in_flight] == [200, 200, 200]  # old workers drained, not killed
    after = Counter(router.request().headers["x-served-by"] for _ in range(200))
    assert set(after) == {"v1-a", "v2-b"}  # the removed replica gets nothing, the new one serves
    assert after["v2-b"] > after["v1-a"]  # 80/20
