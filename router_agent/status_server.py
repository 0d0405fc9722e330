"""The agent's HTTP answer: `GET /routing` -> `{"revision": N, "applied_at": "...", "error": null,
"buckets": {"be_v1": 9000, "be_v2": 1000}}` (the applied table: rand(10000) buckets per backend).

HAProxy's metrics frontend forwards `/routing` here, so the revision a router applied is read on
the router's own metrics port. Anything else is 404 (405 for another method on `/routing`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from router_agent.agent import RoutingStatus

__all__ = ["ROUTING_PATH", "StatusServer"]

ROUTING_PATH = "/routing"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "router-agent"
    sys_version = ""

    def _answer(self, status: int, document: dict[str, Any]) -> None:
        body = (json.dumps(document) + "\n").encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("cache-control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.partition("?")[0] == ROUTING_PATH:
            self._answer(200, self.server.read_status().to_json())
        else:
            self._answer(404, {"error": f"not found; the agent answers GET {ROUTING_PATH}"})

    def _not_allowed(self) -> None:
        self._answer(405, {"error": f"the agent answers GET {ROUTING_PATH} only"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # polled often; the agent logs what it does, not who asked


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    read_status: Callable[[], RoutingStatus]


class StatusServer:
    """Serves `read_status()` on `host:port` from a background thread until `stop()`."""

    def __init__(self, host: str, port: int, read_status: Callable[[], RoutingStatus]) -> None:
        self._server = _Server((host, port), _Handler)  # OSError when the port is taken
        self._server.read_status = read_status
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> StatusServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
