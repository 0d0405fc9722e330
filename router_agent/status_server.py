"""The agent's HTTP answers, forwarded by HAProxy's metrics frontend so they are read on the
router's own metrics port:

- `GET /routing` -> `{"revision": N, "applied_at": "...", "error": null, "buckets": {"be_v1":
  9000, "be_v2": 1000}}` (the applied table: rand(10000) buckets per backend);
- `GET /latency?window=SECONDS` -> the request-time histograms per version over the trailing
  window (`LatencyWindows.window`), 10-3600 seconds; 404 when the agent keeps no request log.

Anything else is 404 (405 for another method).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from router_agent.agent import RoutingStatus
from router_agent.latency_windows import KEEP_SECONDS, LatencyWindows

__all__ = ["LATENCY_PATH", "MIN_LATENCY_WINDOW", "ROUTING_PATH", "StatusServer"]

ROUTING_PATH = "/routing"
LATENCY_PATH = "/latency"
MIN_LATENCY_WINDOW = 10  # the shortest alarm window (specification.alarms: window_seconds >= 10)


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
        path, _, query = self.path.partition("?")
        if path == ROUTING_PATH:
            self._answer(200, self.server.read_status().to_json())
        elif path == LATENCY_PATH and self.server.latency is not None:
            self._latency(query)
        else:
            self._answer(404, {"error": f"not found; the agent answers GET {ROUTING_PATH} and "
                               f"GET {LATENCY_PATH}?window=SECONDS"})

    def _latency(self, query: str) -> None:
        assert self.server.latency is not None
        values = urllib.parse.parse_qs(query).get("window", [])
        text = values[0] if len(values) == 1 else ""
        if not (text.isascii() and text.isdigit()) or not (
            MIN_LATENCY_WINDOW <= int(text) <= KEEP_SECONDS
        ):
            self._answer(400, {"error": f"window must be one whole number of seconds from "
                               f"{MIN_LATENCY_WINDOW} to {KEEP_SECONDS}"})
            return
        self._answer(200, self.server.latency.window(int(text)))

    def _not_allowed(self) -> None:
        self._answer(405, {"error": f"the agent answers GET {ROUTING_PATH} and GET {LATENCY_PATH} only"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # polled often; the agent logs what it does, not who asked


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    read_status: Callable[[], RoutingStatus]
    latency: LatencyWindows | None


class StatusServer:
    """Serves `read_status()` and, when given, `latency`'s windows on `host:port` from a
    background thread until `stop()`."""

    def __init__(
        self,
        host: str,
        port: int,
        read_status: Callable[[], RoutingStatus],
        latency: LatencyWindows | None = None,
    ) -> None:
        self._server = _Server((host, port), _Handler)  # OSError when the port is taken
        self._server.read_status = read_status
        self._server.latency = latency
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
