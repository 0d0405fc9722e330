"""The local routers as the step engine's RouterControl: a table written kubelet-style into every
router's routing directory, with the hooks around it in order; what each router applied read from
its `/routing` (None for one that does not answer); the table a router serves, from its buckets."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_runtime.router_control import LocalRouter, LocalRouterControl, served_table
from router_agent.routing_dir import read_generation
from specification.routing import RoutingError, RoutingTable
from tests.local_runtime.agent_routers import AgentRouter
from tests.ports import free_port

TABLE = RoutingTable({"va": 7000, "vb": 3000}, "va")


@pytest.fixture
def routers(tmp_path: Path) -> Iterator[list[AgentRouter]]:
    started = [AgentRouter(tmp_path / f"router{index}") for index in range(2)]
    try:
        yield started
    finally:
        for router in started:
            router.stop()


def _wait_for(control: LocalRouterControl, revisions: list[int | None]) -> None:
    deadline = time.monotonic() + 5
    while control.applied_revisions() != revisions:
        assert time.monotonic() < deadline, control.applied_revisions()
        time.sleep(0.02)


def test_a_table_reaches_every_router_and_is_reported(routers: list[AgentRouter]) -> None:
    calls: list[tuple[str, int]] = []
    control = LocalRouterControl(
        [router.local for router in routers],
        before_write=lambda table, revision: calls.append(("before", revision)),
        after_write=lambda table, revision: calls.append(("after", revision)),
    )
    assert control.applied_revisions() == [None, None]  # nothing written yet
    control.apply(TABLE, 7)
    assert calls == [("before", 7), ("after", 7)]
    for router in routers:
        generation = read_generation(router.routing_dir, ("split.map", "revision"))
        assert generation.files["split.map"].endswith("0:6999 be_va\n7000:9999 be_vb\n")
        assert generation.files["revision"] == "7\n"
        split_map = router.routing_dir / generation.target / "split.map"
        assert stat.S_IMODE(split_map.stat().st_mode) == 0o600
    _wait_for(control, [7, 7])
    reports = control.reports()
    assert all(r is not None and r.buckets == {"be_va": 7000, "be_vb": 3000} for r in reports)


def test_the_hook_before_the_write_runs_before_any_router_can_see_the_table(
    routers: list[AgentRouter],
) -> None:
    control = LocalRouterControl([router.local for router in routers])
    control.apply(TABLE, 1)
    _wait_for(control, [1, 1])

    def refuse(table: RoutingTable, revision: int) -> None:
        raise OSError("the run record cannot be written")

    guarded = LocalRouterControl([router.local for router in routers], before_write=refuse)
    with pytest.raises(OSError, match="cannot be written"):
        guarded.apply(RoutingTable({"va": 0, "vb": 10000}, "va"), 2)
    time.sleep(0.1)
    assert control.applied_revisions() == [1, 1]


def test_a_router_that_does_not_answer_reports_none(routers: list[AgentRouter]) -> None:
    control = LocalRouterControl(
        [routers[0].local, LocalRouter(routers[1].routing_dir, free_port())], timeout=0.5
    )
    control.apply(TABLE, 3)
    _wait_for(control, [3, None])
    assert control.reports()[1] is None


def test_the_served_table_comes_from_the_buckets() -> None:
    served = served_table({"be_vb": 10000}, ["va", "vb"], "va", "vb")
    assert served == RoutingTable({"va": 0, "vb": 10000}, "va", "vb")
    with pytest.raises(RoutingError, match="backends of no version here: be_vx"):
        served_table({"be_va": 5000, "be_vx": 5000}, ["va", "vb"], "va", None)
    with pytest.raises(RoutingError, match="sum to 50%"):
        served_table({"be_va": 5000}, ["va", "vb"], "va", None)
