"""The agent's decisions, against a recording stand-in for HAProxy's admin socket: what it sends,
that it never commits a table HAProxy refused part of, and what `/routing` then reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_agent.agent import RoutingAgent, RoutingStatus
from router_agent.map_swap import MapSwapError, swap_map
from router_agent.routing_dir import routing_files, write_generation
from router_agent.runtime_api import parse_backends

MAP = "/routing/split.map"
TABLE = "# rand(10000)\n0:2999 be_v1\n3000:9999 be_v2\n"


class FakeHAProxy:
    """Answers the commands the agent sends as HAProxy 2.6 does, and records them."""

    def __init__(self, backends: tuple[str, ...] = ("be_v1", "be_v2", "routing_agent")) -> None:
        self.backends = backends
        self.commands: list[str] = []
        self.refuse: str | None = None  # an `add map` containing this is refused
        self.down = False
        self.version = 0

    def __call__(self, command: str) -> str:
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.commands.append(command)
        if command == "show backend":
            return "# name\n" + "\n".join(self.backends) + "\n\n"
        if command.startswith("prepare map "):
            self.version += 1
            return f"New version created: {self.version}\n\n"
        if command.startswith("add map ") and self.refuse and self.refuse in command:
            return "Out of memory error.\n\n"
        return "\n"


def _agent(tmp_path: Path, haproxy: FakeHAProxy) -> RoutingAgent:
    return RoutingAgent(tmp_path, "/unused.sock", MAP, send=haproxy, clock=lambda: "T")


def test_a_new_generation_is_swapped_in_with_prepare_add_commit(tmp_path: Path) -> None:
    haproxy = FakeHAProxy()
    agent = _agent(tmp_path, haproxy)
    write_generation(tmp_path, routing_files(TABLE, 5))
    agent.poll()
    assert haproxy.commands == [
        "show backend",
        f"prepare map {MAP}",
        f"add map @1 {MAP} 0:2999 be_v1",
        f"add map @1 {MAP} 3000:9999 be_v2",
        f"commit map @1 {MAP}",
    ]
    buckets = {"be_v1": 3000, "be_v2": 7000}
    backends = tuple(sorted(haproxy.backends))
    assert agent.status() == RoutingStatus(
        revision=5, applied_at="T", error=None, buckets=buckets, backends=backends
    )
    assert agent.status().to_json() == {
        "revision": 5,
        "applied_at": "T",
        "error": None,
        "buckets": buckets,
        "backends": list(backends),
    }
    agent.poll()  # nothing changed: nothing sent
    assert len(haproxy.commands) == 5


def test_a_refused_add_is_never_committed_and_is_retried(tmp_path: Path) -> None:
    haproxy = FakeHAProxy()
    agent = _agent(tmp_path, haproxy)
    write_generation(tmp_path, routing_files(TABLE, 5))
    haproxy.refuse = "3000:9999"
    agent.poll()
    assert not any(command.startswith("commit") for command in haproxy.commands)
    status = agent.status()
    assert status.revision is None and status.error is not None
    assert "revision 5 is not applied yet" in status.error and "Out of memory" in status.error
    haproxy.refuse = None
    agent.poll()  # the same generation again, now accepted
    assert haproxy.commands[-1] == f"commit map @2 {MAP}"
    assert agent.status() == RoutingStatus(
        5, "T", None, {"be_v1": 3000, "be_v2": 7000}, tuple(sorted(haproxy.backends))
    )


def test_haproxy_not_up_yet_is_an_error_until_it_is(tmp_path: Path) -> None:
    haproxy = FakeHAProxy()
    haproxy.down = True
    agent = _agent(tmp_path, haproxy)
    write_generation(tmp_path, routing_files(TABLE, 1))
    agent.poll()
    assert agent.status().revision is None
    assert "Connection refused" in (agent.status().error or "")
    haproxy.down = False
    agent.poll()
    assert agent.status() == RoutingStatus(
        1, "T", None, {"be_v1": 3000, "be_v2": 7000}, tuple(sorted(haproxy.backends))
    )


def test_a_bad_table_is_refused_once_and_the_applied_one_stays_reported(tmp_path: Path) -> None:
    haproxy = FakeHAProxy()
    agent = _agent(tmp_path, haproxy)
    write_generation(tmp_path, routing_files(TABLE, 1))
    agent.poll()
    sent = len(haproxy.commands)
    bad = write_generation(tmp_path, routing_files("0:2999 be_v1\n", 2))
    agent.poll()
    agent.poll()  # refused generations are not read again
    status = agent.status()
    assert (status.revision, status.applied_at) == (1, "T")
    assert status.error == (
        f"refused the table in {tmp_path / bad}: split.map leaves buckets 3000-9999 uncovered; "
        "the previous table stays live"
    )
    assert len(haproxy.commands) == sent  # nothing reached HAProxy


def test_a_table_naming_a_backend_this_router_lacks_is_refused(tmp_path: Path) -> None:
    haproxy = FakeHAProxy(backends=("be_v1",))
    agent = _agent(tmp_path, haproxy)
    write_generation(tmp_path, routing_files(TABLE, 3))
    agent.poll()
    assert haproxy.commands == ["show backend"]
    assert "this router has no backend be_v2" in (agent.status().error or "")


def test_a_directory_without_a_table_is_reported(tmp_path: Path) -> None:
    agent = _agent(tmp_path, FakeHAProxy())
    agent.poll()
    assert agent.status() == RoutingStatus(None, None, f"{tmp_path} has no ..data link: no table was written")


def test_swap_refuses_unsafe_entries_before_sending_anything() -> None:
    haproxy = FakeHAProxy()
    with pytest.raises(ValueError, match="not allowed in a runtime command"):
        swap_map(haproxy, MAP, [("0:9999", "be_v1"), ("0:1", "be_v1;clear map x")])
    assert haproxy.commands == []


def test_a_refused_prepare_is_reported() -> None:
    with pytest.raises(MapSwapError, match="Unknown map identifier"):
        swap_map(lambda command: "Unknown map identifier.\n", MAP, [("0:9999", "be_v1")])


def test_show_backend_answer() -> None:
    assert parse_backends("# name\nbe_v1\nrouting_agent\n\n") == {"be_v1", "routing_agent"}
