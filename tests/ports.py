"""Loopback ports for the servers tests start: free when handed out, and never the same one twice
in a test session.

Binding port 0 and closing the socket, twice in a row, can hand out the same port twice (seen
here: a router whose scoring and metrics ports were equal), and a port handed out again soon
after a test closed it may still carry that test's connections in TIME_WAIT. One iterator of
distinct ports (`local_runtime.ports.free_ports`) for the whole session avoids both.
"""

from __future__ import annotations

from local_runtime.ports import free_ports

__all__ = ["free_port"]

_PORTS = free_ports()


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now, not handed out before in this session."""
    return next(_PORTS)
