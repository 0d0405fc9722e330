"""The routers of a local endpoint as the step engine's `RouterControl`, and what each one serves.

A table is written into every router's routing directory with the agent's kubelet-style writer
(`router_agent.routing_dir.write_generation`: a new generation swapped in by one rename, so each
router reads the old table or the new one, never a mix), as kubelet writes the routing ConfigMap
into each router pod's volume. What a router applied is read from its metrics port's `/routing`
(forwarded to its routing agent): the revision, and the table as buckets per backend, from which
`served_table` gives the shares it serves. `before_write` runs before anything is written (the
run record names the revision first, so a process killed half-way leaves no unknown revision);
`after_write` runs once every directory has the table (a router whose default or control
changed is reloaded then).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runtime.private_files import FILE_MODE
from local_runtime.routing_agent import routing_status
from router.names import backend_name
from router.split import render_split_map
from router_agent.routing_dir import (
    REVISION_FILE,
    read_generation,
    routing_files,
    write_generation,
)
from router_agent.split_table import parse_revision
from specification.routing import RoutingError, RoutingTable

__all__ = ["LocalRouter", "LocalRouterControl", "RouterReport", "WriteHook", "served_table"]

WriteHook = Callable[[RoutingTable, int], None]


@dataclass(frozen=True)
class LocalRouter:
    """One router: the routing directory its agent watches and its metrics port."""

    routing_dir: Path
    metrics_port: int


@dataclass(frozen=True)
class RouterReport:
    """A router's `/routing` answer: the revision applied, the agent's last error and the applied
    table as `{backend: buckets}` (None when the agent has applied nothing yet)."""

    revision: int | None
    error: str | None
    buckets: Mapping[str, int] | None

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RouterReport:
        revision = document.get("revision")
        buckets = document.get("buckets")
        return cls(
            revision=revision if isinstance(revision, int) else None,
            error=str(document["error"]) if document.get("error") else None,
            buckets=(
                {str(k): int(v) for k, v in buckets.items()} if isinstance(buckets, dict) else None
            ),
        )


def served_table(
    buckets: Mapping[str, int], versions: Sequence[str], default: str, control: str | None
) -> RoutingTable:
    """The table a router serves from its reported buckets: each of `versions` gets its
    backend's buckets (0 if it has none), with the endpoint's `default` and `control`. Raises
    RoutingError if the buckets name another backend or do not sum to the whole (not a table
    of this endpoint)."""
    unknown = sorted(set(buckets) - {backend_name(version) for version in versions})
    if unknown:
        raise RoutingError(
            [("shares", f"the router serves backends of no version here: {', '.join(unknown)}")]
        )
    steps = {version: buckets.get(backend_name(version), 0) for version in versions}
    return RoutingTable(steps, default, control)


class LocalRouterControl:
    """`RouterControl` over local routers (see the module docstring)."""

    def __init__(
        self,
        routers: Sequence[LocalRouter],
        *,
        before_write: WriteHook | None = None,
        after_write: WriteHook | None = None,
        timeout: float = 2.0,
    ) -> None:
        self.routers = tuple(routers)
        self._before_write = before_write
        self._after_write = after_write
        self._timeout = timeout

    def apply(self, table: RoutingTable, revision: int) -> None:
        """Write `table` as `revision` into every router's routing directory (files private
        to the user, as every file of a run)."""
        if self._before_write is not None:
            self._before_write(table, revision)
        files = routing_files(render_split_map(table), revision)
        for router in self.routers:
            write_generation(router.routing_dir, files, file_mode=FILE_MODE)
        if self._after_write is not None:
            self._after_write(table, revision)

    def reports(self) -> list[RouterReport | None]:
        """Each router's `/routing`, None for a router that does not answer."""
        found: list[RouterReport | None] = []
        for router in self.routers:
            try:
                found.append(
                    RouterReport.from_json(routing_status(router.metrics_port, self._timeout))
                )
            except (OSError, http.client.HTTPException, ValueError):
                found.append(None)
        return found

    def written_revisions(self) -> list[int | None]:
        """The revision in each routing directory (None: none written, or unreadable): what each
        router has been told, whether or not it applied it."""
        found: list[int | None] = []
        for router in self.routers:
            try:
                generation = read_generation(router.routing_dir, (REVISION_FILE,))
                found.append(parse_revision(generation.files[REVISION_FILE]))
            except (OSError, ValueError):
                found.append(None)
        return found

    def applied_revisions(self) -> list[int | None]:
        return [None if report is None else report.revision for report in self.reports()]
