"""The agent's end of HAProxy's request log: a unix datagram socket, one JSON line per request.

HAProxy logs each scoring request (`log <socket> format raw`, with the router's JSON access-log
format) to a socket the agent binds beside its admin socket. The agent reads the version that
served the request and its total active time (`%Ta`, ms) and counts it in `LatencyWindows`. A
line of a request no version served (refused by auth, an unknown pin) has the version "-" and is
not counted, nor is a line that is not the expected JSON (never fatal). HAProxy
never blocks on this socket: when the agent falls behind, the kernel's buffer fills and HAProxy
drops lines, so the windows become a sample of the requests rather than slowing any of them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import threading
from pathlib import Path

from router_agent.latency_windows import LatencyWindows

__all__ = ["RECEIVE_BUFFER_BYTES", "RequestLogReceiver", "parse_request_line"]

RECEIVE_BUFFER_BYTES = 1 << 20  # the kernel queue a burst of lines waits in
_MAX_LINE = 65535

_log = logging.getLogger("router_agent")


def parse_request_line(line: bytes) -> tuple[str, int] | None:
    """`(version, total_ms)` of one log line, or None for a request no version served or a line
    that is not the router's JSON access-log format."""
    try:
        document = json.loads(line)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    version, total = document.get("version"), document.get("total_ms")
    if not isinstance(version, str) or version in ("", "-"):
        return None  # HAProxy writes "-" for a variable never set: no version was chosen
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        return None  # -1: HAProxy had no complete request/response to time
    return version, total


class RequestLogReceiver:
    """Binds `path` (replacing a stale socket there, never any other file) and counts every line
    it receives into `windows` from a background thread, until `stop()`."""

    def __init__(self, path: str, windows: LatencyWindows) -> None:
        self.path = path
        self.windows = windows
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            _remove_stale_socket(path)
            self._socket.bind(path)
            os.chmod(path, 0o600)  # HAProxy runs as the agent's user
            self._socket.settimeout(0.2)
        except OSError:
            self._socket.close()
            raise
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="request-log", daemon=True)

    def start(self) -> RequestLogReceiver:
        self._thread.start()
        return self

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                line = self._socket.recv(_MAX_LINE)
            except TimeoutError:
                continue
            except OSError as error:
                if not self._stop.is_set():
                    _log.warning("request log %s: %s", self.path, error)
                return
            parsed = parse_request_line(line)
            if parsed is not None:
                self.windows.record(*parsed)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()
        try:
            _remove_stale_socket(self.path)
        except OSError:
            pass


def _remove_stale_socket(path: str) -> None:
    """Remove a socket left at `path` by an earlier agent; refuse any other kind of file."""
    try:
        mode = Path(path).lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(f"{path} exists and is not a socket: refusing to replace it")
    os.unlink(path)
