"""A version replaced blue/green on the real haproxy with the real agent: its new pods are a second
backend `be_<v>_green`, the table moves the version's buckets from blue to green live, every
response says the version's name and role, pinned requests stay on blue, and the metrics tell
blue and green apart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rollout.router_stats import response_counts
from router import AuthMaterial, StaticReplicas
from router.split import render_split_map
from specification.routing import RoutingTable
from tests.router.router_harness import HEALTH_PATH, PythonBackend, RouterProcess, http_request
from tests.router_agent.agent_harness import AgentProcess
from tests.router_agent.conftest import ROUTERS
from tests.specs import endpoint, version

SPEC = endpoint(
    version("v1", health_path=HEALTH_PATH, period_seconds=1, is_control_version_type=True),
    version("v2", health_path=HEALTH_PATH, period_seconds=1),
    auth_enabled=False,
)


@pytest.fixture
def blue_green_router(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[RouterProcess]:
    """v1 (one replica), v2 blue and v2 green (one replica each, named apart by their answers)."""
    backends = {name: PythonBackend(name) for name in ("v1", "v2-blue", "v2-green")}
    for backend in backends.values():
        backend.start()
    start = RoutingTable({"v1": 5000, "v2": 5000, "v2_green": 0}, "v1", "v1")
    router = RouterProcess(
        tmp_path / "router",
        SPEC,
        start,
        {"v1": StaticReplicas((backends["v1"].address,)), "v2": StaticReplicas((backends["v2-blue"].address,))},
        AuthMaterial(),
        green={"v2": StaticReplicas((backends["v2-green"].address,))},
    )
    request.node.stash[ROUTERS] = [(router, None)]
    try:
        router.start()
        router.wait_healthy()
        yield router
    finally:
        router.stop()
        for backend in backends.values():
            backend.stop()


def _served(router: RouterProcess, count: int, **headers: str) -> Counter[tuple[str, str, str]]:
    """(served by, x-model-version, x-model-role) of `count` requests."""
    seen: Counter[tuple[str, str, str]] = Counter()
    for _ in range(count):
        response = http_request(router.port, headers=headers, timeout=10)
        assert response.status == 200, response.body
        seen[(response.headers["x-served-by"], response.headers["x-model-version"],
              response.headers["x-model-role"])] += 1
    return seen


def test_the_versions_buckets_move_from_blue_to_green_live(
    blue_green_router: RouterProcess, start_agent: Callable[[RouterProcess], AgentProcess]
) -> None:
    router = blue_green_router
    agent = start_agent(router)
    assert "backend be_v2_green" in router.config.haproxy_cfg
    assert agent.wait_for(1)["buckets"] == {"be_v1": 5000, "be_v2": 5000}

    half = RoutingTable({"v1": 5000, "v2": 2500, "v2_green": 2500}, "v1", "v1")
    router.write_routing(render_split_map(half), 2)
    assert agent.wait_for(2)["buckets"] == {"be_v1": 5000, "be_v2": 2500, "be_v2_green": 2500}
    seen = _served(router, 300)
    assert set(seen) == {
        ("v1", "v1", "control"),
        ("v2-blue", "v2", "treatment"),
        ("v2-green", "v2", "treatment"),  # green answers as the version, with its role
    }
    assert seen[("v2-green", "v2", "treatment")] > 30 and seen[("v2-blue", "v2", "treatment")] > 30
    # a request pinned to the version stays on blue while the shift runs
    assert set(_served(router, 20, **{"x-model-version": "v2"})) == {("v2-blue", "v2", "treatment")}

    counts = response_counts(router.metrics())
    assert counts["v2_green"].responses == seen[("v2-green", "v2", "treatment")]
    assert counts["v2"].responses == seen[("v2-blue", "v2", "treatment")] + 20

    done = RoutingTable({"v1": 5000, "v2": 0, "v2_green": 5000}, "v1", "v1")
    router.write_routing(render_split_map(done), 3)
    assert agent.wait_for(3)["buckets"] == {"be_v1": 5000, "be_v2_green": 5000}
    assert {by for by, _, _ in _served(router, 100)} == {"v1", "v2-green"}


def test_a_green_target_needs_green_replicas_and_a_version(tmp_path: Path) -> None:
    from router import render_router

    table = RoutingTable({"v1": 5000, "v2": 2500, "v2_green": 2500}, "v1", "v1")
    replicas = {"v1": StaticReplicas(("127.0.0.1:1",)), "v2": StaticReplicas(("127.0.0.1:2",))}
    with pytest.raises(ValueError, match="must name exactly the endpoint's versions"):
        render_router(SPEC, table, replicas, AuthMaterial())  # no green replicas given
    with pytest.raises(ValueError, match="green replicas of v9: not versions of"):
        render_router(SPEC, table, replicas, AuthMaterial(), green={"v9": StaticReplicas(("127.0.0.1:3",))})
