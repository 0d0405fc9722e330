"""Routers without HAProxy for in-process tests of `local apply`'s control: each is the real routing
agent (`router_agent.agent.RoutingAgent`) polling its own routing directory every 20 ms, with a
stand-in for HAProxy's admin socket, and the real `/routing` server on a loopback port. What it
reports is what the agent applied from the directory, as a router's metrics port reports it.
`stop_polling()` freezes one (a router whose agent stopped applying) until `start_polling()`;
`stop()` ends it."""

from __future__ import annotations

import threading
from pathlib import Path

from local_runtime.router_control import LocalRouter
from router_agent.agent import RoutingAgent
from router_agent.status_server import StatusServer

BACKENDS = ("be_va", "be_vb", "be_vc", "routing_agent")


def _haproxy(command: str) -> str:
    """HAProxy 2.6's answers to the agent's commands (every command accepted)."""
    if command == "show backend":
        return "# name\n" + "\n".join(BACKENDS) + "\n\n"
    if command.startswith("prepare map "):
        return "New version created: 1\n\n"
    return "\n"


class AgentRouter:
    """One router: its routing directory under `directory`, its agent and its `/routing`."""

    def __init__(self, directory: Path) -> None:
        self.routing_dir = directory / "routing"
        self.agent = RoutingAgent(
            self.routing_dir, "/unused.sock", str(self.routing_dir / "split.map"), send=_haproxy
        )
        self.server = StatusServer("127.0.0.1", 0, self.agent.status).start()
        self._polling = threading.Event()
        self._polling.set()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stopped.wait(0.02):
            if self._polling.is_set():
                self.agent.poll()

    @property
    def local(self) -> LocalRouter:
        return LocalRouter(self.routing_dir, self.server.port)

    def stop_polling(self) -> None:
        self._polling.clear()

    def start_polling(self) -> None:
        self._polling.set()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.server.stop()
