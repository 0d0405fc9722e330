"""Fixtures for the agent tests: the real haproxy and the real agent, each stopped in `finally`."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from router import AuthMaterial, StaticReplicas
from router.split import render_split_map
from specification import EndpointSpec
from tests.router.router_harness import HEALTH_PATH, EchoBackends, RouterProcess, haproxy_binary
from tests.router_agent.agent_harness import AgentProcess, copy_agent_package
from tests.specs import endpoint, routed, version

ROUTERS = pytest.StashKey[list[tuple[RouterProcess, AgentProcess | None]]]()


def sentinel_spec() -> EndpointSpec:
    """v1 is the default but gets no share in any table the tests write: a request it serves
    came from a bucket no table sent it (a half-applied table, or no table at all)."""
    return endpoint(
        *(
            version(name, health_path=HEALTH_PATH, period_seconds=1)
            for name in ("v1", "v2", "v3")
        ),
        auth_enabled=False,
    )


def split_map(spec: EndpointSpec, traffic: dict[str, float]) -> str:
    """The split map text of `traffic` (effective shares of `spec`'s versions)."""
    return render_split_map(routed(spec, traffic))


@pytest.fixture(scope="session")
def agent_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    haproxy_binary()  # fails (not skips) with the install command when haproxy is missing
    return copy_agent_package(tmp_path_factory.mktemp("sidecar"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A failed test's report carries each router's diagnostics and its agent's log."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for index, (router, agent) in enumerate(item.stash.get(ROUTERS, [])):
            report.sections.append((f"router {index}", router.diagnostics()))
            if agent is not None:
                report.sections.append((f"agent {index}", agent.log_text()))


@pytest.fixture
def routers(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., RouterProcess]]:
    """`routers(spec, first_table=None, revision=1, started_now=True)`: a router of `spec` on echo
    replicas named after its versions, its routing directory written from `first_table`
    (effective shares) or the spec's own routing, with `revision`; started and healthy unless
    `started_now` is false."""
    started: list[tuple[RouterProcess, AgentProcess | None]] = []
    backends: list[EchoBackends] = []
    request.node.stash[ROUTERS] = started

    def start(
        spec: EndpointSpec,
        first_table: dict[str, float] | None = None,
        revision: int = 1,
        started_now: bool = True,
    ) -> RouterProcess:
        index = len(started)
        echo = EchoBackends(tmp_path / f"echo{index}", [v.name for v in spec.versions])
        backends.append(echo)
        echo.start()
        replicas = {v.name: StaticReplicas((echo.address(v.name),)) for v in spec.versions}
        routing = spec.routing if first_table is None else routed(spec, first_table)
        router = RouterProcess(tmp_path / f"router{index}", spec, spec.routing, replicas, AuthMaterial())
        router.write_routing(render_split_map(routing), revision)  # before HAProxy reads it
        started.append((router, None))
        if started_now:
            router.start()
            router.wait_healthy()
        return router

    try:
        yield start
    finally:
        for router, agent in started:
            if agent is not None:
                agent.stop()
            router.stop()
        for echo in backends:
            echo.stop()


@pytest.fixture
def start_agent(
    tmp_path: Path, agent_package: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[RouterProcess], AgentProcess]]:
    """`start_agent(router)`: the routing agent beside `router`, stopped in `finally`."""
    agents: list[AgentProcess] = []

    def start(router: RouterProcess) -> AgentProcess:
        agent = AgentProcess(agent_package, router, tmp_path / f"agent{len(agents)}.log")
        agents.append(agent)
        for index, (known, _) in enumerate(request.node.stash.get(ROUTERS, [])):
            if known is router:
                request.node.stash[ROUTERS][index] = (router, agent)
        return agent.start()

    try:
        yield start
    finally:
        for agent in agents:
            agent.stop()
