"""The routing agent's one job: keep HAProxy's split map equal to the routing directory's table.

`poll` looks at the directory's `..data` link; when it points at a generation not handled yet, the
agent reads `split.map` and `revision`, checks them (`split_table`) and that this HAProxy has every
backend they name (a table naming an unknown one would send its buckets to the default backend
without a word), and applies the table through the admin socket in one atomic map swap (`map_swap`).
A table it refuses leaves the live one in place and is reported as the error; a table it could not
apply (HAProxy not up yet, the socket refused) is retried on the next poll. `status` is what
`GET /routing` answers: the revision applied, when, the last error (None once a table is
applied), the applied table's buckets per backend, and the backends this HAProxy has (as last
asked), so a blue/green replacement can tell that every router has the green backend it needs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from router_agent.admin_socket import send_command
from router_agent.map_swap import MapSwapError, Send, swap_map
from router_agent.routing_dir import REVISION_FILE, SPLIT_MAP_FILE, data_target, read_generation
from router_agent.runtime_api import SHOW_BACKENDS, parse_backends
from router_agent.split_table import (
    RoutingTableError,
    SplitTable,
    parse_revision,
    parse_split_map,
)

__all__ = ["RoutingAgent", "RoutingStatus"]

_log = logging.getLogger("router_agent")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class RoutingStatus:
    """What the router runs: the revision applied (None before the first), when (ISO 8601), the
    last problem (None when the directory's table is the one applied) and the applied table as
    `{backend: buckets}` (of 10000; None before the first), so a reader sees the shares the
    router serves, not only a revision number, and `backends`: every backend HAProxy has, as
    the agent last asked it (None before it could)."""

    revision: int | None = None
    applied_at: str | None = None
    error: str | None = None
    buckets: Mapping[str, int] | None = None
    backends: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "applied_at": self.applied_at,
            "error": self.error,
            "buckets": None if self.buckets is None else dict(self.buckets),
            "backends": None if self.backends is None else list(self.backends),
        }


class RoutingAgent:
    """Applies the table of `routing_dir` to the map `map_path` of the HAProxy whose admin socket
    is `admin_socket` (`send` replaces the socket in tests)."""

    def __init__(
        self,
        routing_dir: Path,
        admin_socket: str,
        map_path: str,
        *,
        send: Send | None = None,
        clock: Callable[[], str] = _now,
    ) -> None:
        self.routing_dir = routing_dir
        self.map_path = map_path
        self._send = send if send is not None else partial(send_command, admin_socket)
        self._clock = clock
        self._lock = threading.Lock()
        self._status = RoutingStatus()
        self._handled: str | None = None  # the generation applied or refused last

    def status(self) -> RoutingStatus:
        """The current status (safe to call from the HTTP server's threads)."""
        with self._lock:
            return self._status

    def _report(self, **changes: Any) -> None:
        with self._lock:
            previous = self._status
            self._status = replace(previous, **changes)
        error = changes.get("error")
        if error is not None and error != previous.error:
            _log.warning("%s", error)

    def _refuse(self, target: str, problem: object) -> None:
        self._handled = target  # refused once, not re-read on every poll
        self._report(
            error=f"refused the table in {self.routing_dir / target}: {problem}; "
            "the previous table stays live"
        )

    def _read(self) -> tuple[str, SplitTable] | None:
        """The current generation's name and table, or None after reporting why there is none."""
        try:
            generation = read_generation(self.routing_dir, (SPLIT_MAP_FILE, REVISION_FILE))
        except (OSError, ValueError) as error:
            self._report(error=f"cannot read the routing directory {self.routing_dir}: {error}")
            return None
        try:
            return generation.target, SplitTable(
                entries=parse_split_map(generation.files[SPLIT_MAP_FILE]),
                revision=parse_revision(generation.files[REVISION_FILE]),
            )
        except RoutingTableError as error:
            self._refuse(generation.target, error)
            return None

    def _unknown_backends(self, table: SplitTable) -> list[str]:
        """The backends `table` names that this HAProxy does not have (asked on the socket)."""
        known = parse_backends(self._send(SHOW_BACKENDS))
        self._report(backends=tuple(sorted(known)))
        return sorted({backend for _, backend in table.entries} - known)

    def poll(self) -> None:
        """Apply the directory's table if its generation changed since the last poll."""
        try:
            target = data_target(self.routing_dir)
        except OSError as error:
            self._report(error=f"cannot read the routing directory {self.routing_dir}: {error}")
            return
        if target is None:
            self._report(error=f"{self.routing_dir} has no ..data link: no table was written")
            return
        if target == self._handled:
            return
        read = self._read()
        if read is None:
            return
        target, table = read
        try:
            unknown = self._unknown_backends(table)
            if unknown:
                self._refuse(target, f"this router has no backend {', '.join(unknown)}")
                return
            swap_map(self._send, self.map_path, table.entries)
        except (OSError, MapSwapError, ValueError) as error:
            self._report(error=f"revision {table.revision} is not applied yet: {error}")
            return  # retried on the next poll
        self._handled = target
        self._report(
            revision=table.revision, applied_at=self._clock(), error=None, buckets=table.buckets
        )
        _log.info("applied revision %s (%s)", table.revision, target)
