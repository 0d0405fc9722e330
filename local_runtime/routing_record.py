"""What a local run records about its routing, in `state.json`: the table its routers serve and
that table's revision, and the traffic shift `local apply` is walking.

`LiveRouting` is written by `local up` (the spec's table, revision 1) and by `local apply` once a
shift completes or is rolled back. `ShiftRecord` is written before a shift writes its first table
and after every step (the revision it is about to write comes first, so even a process killed
between the two writes leaves a record naming every revision a router may hold); it is removed
when the shift completes or is rolled back. A record left behind names a shift whose process
died: the next `local apply` rolls it back (`local_runtime.local_apply`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from specification.routing import RoutingTable

__all__ = ["LiveRouting", "ShiftPhase", "ShiftRecord", "table_from_json", "table_to_json"]

# Writing a step's table, waiting for every router to report it, baking after it, the
# termination wait after the last step, or putting the starting table back.
ShiftPhase = Literal["apply", "catch_up", "bake", "termination", "rolling_back"]


def table_to_json(table: RoutingTable) -> dict[str, Any]:
    """`{"steps": {version: 0.01% steps}, "default_version", "control_version"}`."""
    return {
        "steps": dict(table.steps),
        "default_version": table.default_version,
        "control_version": table.control_version,
    }


def table_from_json(data: Mapping[str, Any]) -> RoutingTable:
    """The table `table_to_json` wrote (its rules checked again: RoutingError if broken)."""
    return RoutingTable.from_steps(
        dict(data["steps"]), data["default_version"], data.get("control_version")
    )


@dataclass(frozen=True)
class LiveRouting:
    """The table every router of an endpoint serves, and its revision."""

    table: RoutingTable
    revision: int

    def to_json(self) -> dict[str, Any]:
        return {"table": table_to_json(self.table), "revision": self.revision}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LiveRouting:
        return cls(table_from_json(data["table"]), int(data["revision"]))


@dataclass(frozen=True)
class ShiftRecord:
    """A shift from `start` (live as `start_revision`) to `target` in `step_count` steps, driven
    by process `pid`. `step` is the step whose table was last written (0: none yet) and
    `revision` the highest revision written or about to be written; `bake_until` is when the
    current bake ends (ISO 8601, None outside a bake)."""

    start: RoutingTable
    start_revision: int
    target: RoutingTable
    step_count: int
    step: int
    revision: int
    phase: ShiftPhase
    pid: int
    started_at: str
    updated_at: str
    bake_until: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": table_to_json(self.start),
            "start_revision": self.start_revision,
            "target": table_to_json(self.target),
            "step_count": self.step_count,
            "step": self.step,
            "revision": self.revision,
            "phase": self.phase,
            "pid": self.pid,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "bake_until": self.bake_until,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShiftRecord:
        return cls(
            start=table_from_json(data["start"]),
            start_revision=int(data["start_revision"]),
            target=table_from_json(data["target"]),
            step_count=int(data["step_count"]),
            step=int(data["step"]),
            revision=int(data["revision"]),
            phase=data["phase"],
            pid=int(data["pid"]),
            started_at=str(data["started_at"]),
            updated_at=str(data["updated_at"]),
            bake_until=data.get("bake_until"),
        )
