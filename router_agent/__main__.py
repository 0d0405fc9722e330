"""`python -m router_agent --routing-dir D --admin-socket S --map-path P --listen 127.0.0.1:PORT
[--request-log SOCKET]`

Runs beside one HAProxy (a sidecar in a router pod, a process in a local run): polls the routing
directory, applies each new table through the admin socket, answers `GET /routing`; with a
request log, counts HAProxy's per-request lines and answers `GET /latency`. Stops on SIGTERM or
SIGINT with status 0; status 1 when its port or request log socket cannot be bound, 2 on bad
usage.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

from router_agent.agent import RoutingAgent
from router_agent.command_line import parse_arguments
from router_agent.latency_windows import LatencyWindows
from router_agent.request_log import RequestLogReceiver
from router_agent.status_server import StatusServer

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the agent until SIGTERM or SIGINT; returns the exit status."""
    options = parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s router-agent %(message)s"
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    agent = RoutingAgent(options.routing_dir, options.admin_socket, options.map_path)
    receiver: RequestLogReceiver | None = None
    if options.request_log is not None:
        try:
            receiver = RequestLogReceiver(options.request_log, LatencyWindows(time.monotonic))
        except OSError as error:
            logging.error("cannot bind the request log %s: %s", options.request_log, error)
            return 1
    try:
        server = StatusServer(
            options.host, options.port, agent.status, receiver.windows if receiver else None
        )
    except OSError as error:
        logging.error("cannot listen on %s:%s: %s", options.host, options.port, error)
        if receiver is not None:
            receiver.stop()
        return 1
    if receiver is not None:
        receiver.start()
    agent.poll()  # a first look before answering, so /routing never reports a table unread
    server.start()
    logging.info(
        "watching %s, applying to %s through %s, answering on http://%s:%s/routing",
        options.routing_dir, options.map_path, options.admin_socket, options.host, server.port,
    )
    try:
        while not stop.is_set():
            agent.poll()
            stop.wait(options.poll_seconds)
    finally:
        server.stop()
        if receiver is not None:
            receiver.stop()
    logging.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
