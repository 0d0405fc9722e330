"""What a local run records about its routing, in `state.json`: the table its routers serve and
that table's revision, and the traffic shift `local apply` is walking.

`LiveRouting` (`endpoints.<name>.routing`) is written by `local up` (the spec's table, revision 1)
and by `local apply` once a shift completes or is rolled back, so during a shift it still holds
the starting table. `LocalShift` (`endpoints.<name>.shift`) is written before a shift writes its
first table and after each of the engine's events, in the form every shift driver keeps for
`describe` (`rollout.shift_progress`), plus `local apply`'s own fields; it is removed when the
shift completes or is rolled back, and `endpoints.<name>.last_failure` (`LastFailure`) then says
how the last shift failed. A shift record left behind names a shift whose process died: the next
`local apply` rolls it back (`local_runtime.local_apply`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rollout.shift_progress import ShiftProgress
from specification.routing import RoutingTable

__all__ = [
    "DRIVER_KEY",
    "LiveRouting",
    "LocalShift",
    "ShiftDriver",
    "table_from_json",
    "table_to_json",
]

DRIVER_KEY = "driver"  # local apply's own fields inside a shift record


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
class ShiftDriver:
    """What `local apply` adds to a shift's record for itself: the process driving the shift
    (`pid`), the highest revision it wrote or is about to write, the whole target table (its
    default and control too) and when it last wrote the record."""

    pid: int
    revision: int
    target: RoutingTable
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "revision": self.revision,
            "target_table": table_to_json(self.target),
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShiftDriver:
        return cls(
            pid=int(data["pid"]),
            revision=int(data["revision"]),
            target=table_from_json(data["target_table"]),
            updated_at=str(data["updated_at"]),
        )


@dataclass(frozen=True)
class LocalShift:
    """A shift's record in the run record (`endpoints.<name>.shift`): the status view every
    driver keeps (`rollout.shift_progress.ShiftProgress`, which `describe` reads) with
    `local apply`'s own `driver` fields under `"driver"` (None in a record someone else wrote).
    The starting table needs no field: the endpoint's `routing` keeps it until the shift ends."""

    progress: ShiftProgress
    driver: ShiftDriver | None = None

    def to_json(self) -> dict[str, Any]:
        document = self.progress.to_json()
        if self.driver is not None:
            document[DRIVER_KEY] = self.driver.to_json()
        return document

    @classmethod
    def from_json(cls, data: Any) -> LocalShift:
        """ValueError naming what is wrong when the record is malformed."""
        progress = ShiftProgress.from_json(data)
        raw = data.get(DRIVER_KEY)
        if raw is None:
            return cls(progress)
        try:
            return cls(progress, ShiftDriver.from_json(raw))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{DRIVER_KEY} is malformed: {error!r}") from None
