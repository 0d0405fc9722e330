"""Keeps an endpoint's entry in the run record (`state.json`) in step with the shift on its routers.

The record is written before the routers are: `before_write` (a `LocalRouterControl` hook) names
the revision about to be written, so a `local apply` killed at any moment leaves a record whose
`revision` is at least every revision a router may hold, and whose `start` is the table to roll
back to. The engine's events then move the record's step and phase (`on_event`); the end of a
shift, completed or rolled back, replaces the shift record by the live table and its revision.
`local status` and `describe` read the same record, so they show a shift while it runs.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from local_runtime.routing_record import LiveRouting, ShiftPhase, ShiftRecord
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, RunState, write_state
from rollout import (
    BakeProgress,
    PlannedStep,
    RolledBack,
    RollingBack,
    RoutersCaughtUp,
    ShiftEvent,
    StepApplied,
)
from specification.routing import RoutingTable

__all__ = ["ShiftRecorder", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


class ShiftRecorder:
    """Writes `endpoint`'s routing and shift records into `state` (saved to `layout` at each
    change)."""

    def __init__(self, layout: RunLayout, state: RunState, endpoint: str) -> None:
        self.layout = layout
        self.state = state
        self.endpoint = endpoint
        self._steps: tuple[PlannedStep, ...] = ()

    @property
    def entry(self) -> EndpointState:
        return self.state.endpoints[self.endpoint]

    def _save(self, **changes: Any) -> None:
        self.state.endpoints[self.endpoint] = replace(self.entry, **changes)
        write_state(self.layout, self.state)

    def _shift(self, **changes: Any) -> None:
        shift = self.entry.shift
        assert shift is not None, "no shift is recorded"
        self._save(shift=replace(shift, updated_at=_iso(utc_now()), **changes))

    def begin(
        self,
        start: RoutingTable,
        start_revision: int,
        target: RoutingTable,
        steps: tuple[PlannedStep, ...],
    ) -> None:
        """Record a shift about to write its first table."""
        now = _iso(utc_now())
        self._steps = steps
        self._save(
            shift=ShiftRecord(
                start=start,
                start_revision=start_revision,
                target=target,
                step_count=len(steps),
                step=0,
                revision=start_revision,
                phase="apply",
                pid=os.getpid(),
                started_at=now,
                updated_at=now,
            )
        )

    def before_write(self, table: RoutingTable, revision: int) -> None:
        """Name `revision` in the record before any router can see it."""
        shift = self.entry.shift
        if shift is not None and revision > shift.revision:
            self._shift(revision=revision)

    def _bake(self, phase: ShiftPhase, seconds: float) -> None:
        until = _iso(utc_now() + timedelta(seconds=seconds)) if seconds > 0 else None
        self._shift(phase=phase, bake_until=until)

    def on_event(self, event: ShiftEvent) -> None:
        """Move the record along the engine's events (written only when step or phase changes)."""
        shift = self.entry.shift
        if shift is None:
            return
        if isinstance(event, StepApplied):
            self._shift(step=event.step, phase="catch_up", bake_until=None)
        elif isinstance(event, RoutersCaughtUp):
            wait = self._steps[event.step - 1].wait_seconds if event.step <= len(self._steps) else 0
            self._bake("bake", wait)
        elif isinstance(event, BakeProgress) and event.phase == "termination":
            if shift.phase != "termination":
                self._bake("termination", event.bake_seconds - event.baked_seconds)
        elif isinstance(event, RollingBack):
            self._shift(phase="rolling_back", bake_until=None)
        elif isinstance(event, RolledBack):
            self._save(routing=LiveRouting(shift.start, event.revision), shift=None)

    def rolling_back(self) -> None:
        """The recorded shift is being rolled back."""
        self._shift(phase="rolling_back", bake_until=None)

    def rolled_back(self, table: RoutingTable, revision: int) -> None:
        """Every router serves `table` (a shift's starting table) again as `revision`."""
        self._save(routing=LiveRouting(table, revision), shift=None)

    def completed(self, table: RoutingTable, revision: int, spec: dict[str, Any]) -> None:
        """The shift completed: `table` is live as `revision`, `spec` is now the run's."""
        self._save(
            routing=LiveRouting(table, revision),
            shift=None,
            spec=spec,
            traffic=table.traffic,
            default_version=table.default_version,
        )
