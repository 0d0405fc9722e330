"""Loopback ports for a local run: pick free ones, and check the planned ones before starting.

A port taken by another program must fail `local up` before anything starts, with the port and
what it was for in the message. The check binds as the servers will (127.0.0.1, SO_REUSEADDR as
HAProxy and gunicorn set it), so a port in TIME_WAIT is free and one with a listener is not.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator

from local_runtime.errors import PortInUseError

__all__ = ["LOOPBACK", "check_ports_free", "free_ports", "port_is_free", "wait_for_listener"]

LOOPBACK = "127.0.0.1"


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_ports() -> Iterator[int]:
    """Ports the kernel reports free right now (each distinct); a later bind may still race."""
    seen: set[int] = set()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = int(sock.getsockname()[1])
        if port not in seen:
            seen.add(port)
            yield port


def check_ports_free(ports: Iterable[tuple[int, str]], hint: str = "") -> None:
    """Raise PortInUseError for the first `(port, purpose)` some other process listens on."""
    for port, purpose in ports:
        if not port_is_free(port):
            raise PortInUseError(port, purpose, hint)


def wait_for_listener(port: int, timeout: float = 10.0) -> None:
    """Return once something accepts connections on 127.0.0.1:`port`; TimeoutError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on {LOOPBACK}:{port} after {timeout:g}s"
                ) from None
            time.sleep(0.02)
