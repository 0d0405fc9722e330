"""Loopback ports for the servers tests start: free when handed out, and never the same one twice
in a test session.

Binding port 0 and closing the socket, twice in a row, can hand out the same port twice (seen
here: a router whose scoring and metrics ports were equal), and a port handed out again soon
after a test closed it may still carry that test's connections in TIME_WAIT. One iterator of
distinct ports (`local_runtime.ports.free_ports`) for the whole session avoids both. When the
suite runs on several pytest-xdist workers, each takes only the ports of its own residue
(a checksum of the port, modulo the workers: Linux hands `bind(0)` even ports, so the port's own
residue would starve a worker), so two workers never hand out the same port.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator

from local_runtime.ports import free_ports

__all__ = ["free_port"]


def _own_ports() -> Iterator[int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return (
        port for port in free_ports() if zlib.crc32(port.to_bytes(2, "big")) % workers == index % workers
    )


_PORTS = _own_ports()


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now, not handed out before in this session (nor
    by another worker of it)."""
    return next(_PORTS)
