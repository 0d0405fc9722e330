"""Per-version request times with the real haproxy and the real agent: HAProxy logs each request to
the agent's socket, the agent answers `/latency` on the router's metrics port, and a p99 alarm
read from it breaches on a slow version and not on a fast one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rollout import RouterMetricsStats
from rollout.alarm_readings import read_router_alarm
from rollout.router_stats import latency_urls, scrape_urls
from router import AuthMaterial, StaticReplicas
from specification.alarms import RouterMetricAlarm
from tests.router.router_harness import (
    HEALTH_PATH,
    PythonBackend,
    RouterProcess,
    http_request,
)
from tests.router_agent.agent_harness import AgentProcess
from tests.router_agent.conftest import ROUTERS
from tests.specs import endpoint, version

SLOW_MS = 150


@pytest.fixture
def slow_and_fast(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], RouterProcess]]:
    """A router of `fast` (answers at once, the default) and `slow` (answers after SLOW_MS)."""
    backends = [PythonBackend("fast"), PythonBackend("slow", delay_ms=SLOW_MS)]
    routers: list[RouterProcess] = []
    request.node.stash[ROUTERS] = []

    def start() -> RouterProcess:
        spec = endpoint(
            *(version(b.name, health_path=HEALTH_PATH, period_seconds=1) for b in backends),
            auth_enabled=False,
        )
        replicas = {b.name: StaticReplicas((b.address,)) for b in backends}
        router = RouterProcess(
            tmp_path / f"router{len(routers)}", spec, spec.routing, replicas, AuthMaterial()
        )
        routers.append(router)
        request.node.stash[ROUTERS].append((router, None))
        router.start()
        router.wait_healthy()
        return router

    try:
        for backend in backends:
            backend.start()
        yield start
    finally:
        for router in routers:
            router.stop()
        for backend in backends:
            backend.stop()


def _score(router: RouterProcess, version: str, count: int) -> None:
    for _ in range(count):
        response = http_request(router.port, headers={"x-model-version": version}, timeout=10)
        assert response.status == 200, response.body


def test_the_agent_serves_each_versions_request_times_on_the_metrics_port(
    slow_and_fast: Callable[[], RouterProcess],
    start_agent: Callable[[RouterProcess], AgentProcess],
) -> None:
    router = slow_and_fast()
    agent = start_agent(router)
    _score(router, "slow", 6)
    _score(router, "fast", 20)
    refused = http_request(router.port, headers={"x-model-version": "nope"}, timeout=5)
    assert refused.status == 400  # no version served it: not counted

    answer = agent.latency(60)
    assert set(answer["versions"]) == {"fast", "slow"}
    assert answer["versions"]["fast"]["requests"] == 20
    slow = answer["versions"]["slow"]
    assert slow["requests"] == 6
    assert all(SLOW_MS <= bound <= 2 * SLOW_MS for bound, _ in slow["buckets"])
    assert max(bound for bound, _ in answer["versions"]["fast"]["buckets"]) < SLOW_MS

    for query in ("window=5", "window=3601", "window=x", "", "window=10&window=20"):
        response = http_request(router.metrics_port, path=f"/latency?{query}", timeout=5)
        assert response.status == 400, (query, response.body)
        assert b"window must be one whole number of seconds from 10 to 3600" in response.body


def test_a_p99_alarm_breaches_on_the_slow_version_summed_over_two_routers(
    slow_and_fast: Callable[[], RouterProcess],
    start_agent: Callable[[RouterProcess], AgentProcess],
) -> None:
    first, second = slow_and_fast(), slow_and_fast()
    for router in (first, second):
        start_agent(router)
    urls = {f"router{i}": f"http://127.0.0.1:{r.metrics_port}" for i, r in enumerate((first, second))}
    stats = RouterMetricsStats(scrape_urls(urls), min_scrape_interval=0, latency=latency_urls(urls))
    stats.scrape()  # the counters' baseline, as the engine takes before a step
    _score(first, "fast", 30)
    _score(first, "slow", 12)  # neither router alone has min_requests of the slow version
    _score(second, "slow", 13)
    alarm = RouterMetricAlarm(
        alarm_name="slow-p99", metric="p99_latency_ms", threshold=SLOW_MS - 50, min_requests=20
    )

    slow = read_router_alarm(alarm, "slow", stats)
    assert slow.state == "breach", slow.describe()
    assert slow.requests == 25 and slow.value is not None and SLOW_MS <= slow.value < 2 * SLOW_MS
    fast = read_router_alarm(alarm, "fast", stats)
    assert fast.state == "ok", fast.describe()
    assert fast.value is not None and fast.value < SLOW_MS - 50
