"""Loopback ports for a local run: pick free ones, and check the planned ones before starting.

A port taken by another program must fail `local up` before anything starts, with the port and
what it was for in the message. The check binds as the servers will (127.0.0.1, SO_REUSEADDR as
HAProxy and gunicorn set it), so a port in TIME_WAIT is free and one with a listener is not.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator

from local_runtime.errors import PortInUseError

__all__ = ["LOOPBACK", "check_ports_free", "free_ports", "port_is_free"]

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
