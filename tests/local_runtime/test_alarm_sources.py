"""Where a local shift reads router alarms: counters from each router's metrics port, request
times from its agent (through the same port), a router from before request times left out."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_runtime.alarm_sources import local_router_stats

METRICS = (
    '# TYPE haproxy_backend_http_responses_total counter\n'
    'haproxy_backend_http_responses_total{{proxy="be_vb",code="2xx"}} {ok}\n'
    'haproxy_backend_http_responses_total{{proxy="be_vb",code="5xx"}} 0\n'
)


class _Router(ThreadingHTTPServer):
    daemon_threads = True
    served = 0
    latency: dict[str, Any] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Router

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/metrics"):
            self._send(200, METRICS.format(ok=self.server.served))
        elif self.path.startswith("/latency") and self.server.latency is not None:
            self._send(200, json.dumps(self.server.latency))
        else:
            self._send(404, "not found")

    def _send(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def two_routers() -> Iterator[tuple[_Router, _Router]]:
    servers = (_Router(("127.0.0.1", 0), _Handler), _Router(("127.0.0.1", 0), _Handler))
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)


def test_request_times_come_from_routers_that_keep_them(two_routers: tuple[_Router, _Router]) -> None:
    current, older = two_routers
    current.latency = {"window_seconds": 10, "versions": {"vb": {"requests": 3, "buckets": [[250, 3]]}}}
    clock = [0.0]
    stats = local_router_stats(
        [current.server_address[1], older.server_address[1]], now=lambda: clock[0], min_scrape_interval=1
    )
    stats.scrape()
    current.served, older.served = 30, 20
    clock[0] = 5
    window = stats.window("vb", 10, p99=True)
    # counters from both routers; request times from the one whose agent has them (the older
    # answers /latency with 404 and is left out rather than failing the alarm)
    assert (window.requests, window.p99_ms) == (50, 250.0)
    older.latency = None
    current.latency = None
    clock[0] = 7
    assert stats.window("vb", 10, p99=True).p99_ms is None
