"""Keeps an endpoint's entry in the run record (`state.json`) in step with the shift on its routers.

The shift's record is the one every shift driver keeps for the endpoint's status
(`rollout.shift_progress`: `ShiftProgress` while it runs, `LastFailure` after one failed, which
`describe` reads), with `local apply`'s own fields beside it (`routing_record.ShiftDriver`). It is
written before the routers are: `before_write` (a `LocalRouterControl` hook) names the revision
about to be written, so a `local apply` killed at any moment leaves a record of the shift, while
the endpoint's `routing` still holds the starting table to roll back to. The engine's events then
move the record (`on_event`); the end of a shift, completed or rolled back, replaces it by the
live table and its revision, and records or clears the last failure.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from local_runtime.routing_record import LiveRouting, LocalShift, ShiftDriver
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState, RunState, write_state
from rollout import PlannedStep, RolledBack, RollingBack, ShiftEvent, ShiftFailed
from rollout.shift_progress import LastFailure, ShiftProgress
from specification.routing import RoutingTable

__all__ = ["ShiftRecorder", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


class ShiftRecorder:
    """Writes `endpoint`'s routing, shift and last-failure records into `state` (saved to
    `layout` at each change)."""

    def __init__(self, layout: RunLayout, state: RunState, endpoint: str) -> None:
        self.layout = layout
        self.state = state
        self.endpoint = endpoint
        self._shift: LocalShift | None = None
        self._rolling_back_reason: str | None = None

    @property
    def entry(self) -> EndpointState:
        return self.state.endpoints[self.endpoint]

    def _save(self, **changes: Any) -> None:
        self.state.endpoints[self.endpoint] = replace(self.entry, **changes)
        write_state(self.layout, self.state)

    def _record(self, shift: LocalShift) -> None:
        self._shift = shift
        self._save(shift=shift.to_json())

    def begin(
        self,
        start: RoutingTable,
        start_revision: int,
        target: RoutingTable,
        steps: tuple[PlannedStep, ...],
        termination_wait_seconds: float,
    ) -> None:
        """Record a shift about to write its first table (the endpoint's `routing` holds its
        start, live as `start_revision`)."""
        now = utc_now()
        progress = ShiftProgress.begin(start, steps, now, termination_wait_seconds)
        driver = ShiftDriver(os.getpid(), start_revision, target, _iso(now))
        self._record(LocalShift(progress, driver))

    def before_write(self, table: RoutingTable, revision: int) -> None:
        """Name `revision` in the record before any router can see it."""
        shift = self._shift
        if shift is None or shift.driver is None or revision <= shift.driver.revision:
            return
        driver = replace(shift.driver, revision=revision, updated_at=_iso(utc_now()))
        self._record(replace(shift, driver=driver))

    def on_event(self, event: ShiftEvent) -> None:
        """Move the record along the engine's events."""
        shift = self._shift
        if shift is None:
            return
        if isinstance(event, RollingBack):
            self._rolling_back_reason = event.reason
        if isinstance(event, RolledBack):
            # the engine's own rollback (a breach, a timeout, Ctrl-C or SIGTERM): its message
            reason = (
                f"traffic shift rolled back: {self._rolling_back_reason}; the starting table is "
                f"live again on every router (revision {event.revision})"
            )
            start = self.entry.routing
            assert start is not None, "a shift starts from a recorded table"
            self.rolled_back(start.table, event.revision, LastFailure(reason, _now(), "rolled_back"))
            return
        progress = shift.progress.advance(event)
        if progress is not None and progress != shift.progress:
            self._record(replace(shift, progress=progress))

    def rolling_back(self) -> None:
        """The recorded shift (left by a killed `local apply`) is being rolled back."""
        shift = self.recorded()
        entry = self.entry
        if shift is not None:
            progress = replace(shift.progress, phase="rolling_back", next_step_at=None)
            self._record(replace(shift, progress=progress))
        elif entry.shift is not None:  # malformed: kept as it is, so it is still reported
            self._shift = None

    def recorded(self) -> LocalShift | None:
        """The shift record as the run record holds it; None when there is none or it is
        malformed (its rollback needs only the endpoint's `routing`)."""
        try:
            return LocalShift.from_json(self.entry.shift) if self.entry.shift else None
        except ValueError:
            return None

    def rolled_back(self, table: RoutingTable, revision: int, failure: LastFailure) -> None:
        """Every router serves `table` (a shift's starting table) again as `revision`."""
        self._shift = None
        self._save(routing=LiveRouting(table, revision), shift=None, last_failure=failure.to_json())

    def failed(self, error: ShiftFailed) -> None:
        """The shift failed and even its rollback was not confirmed: the shift record stays
        (the next `local apply` rolls it back again), the failure is recorded."""
        self._save(last_failure=LastFailure.from_error(error, utc_now()).to_json())

    def completed(self, table: RoutingTable, revision: int, spec: dict[str, Any]) -> None:
        """The shift completed: `table` is live as `revision`, `spec` is now the run's, and no
        failure is left to report."""
        self._shift = None
        self._save(
            routing=LiveRouting(table, revision),
            shift=None,
            last_failure=None,
            spec=spec,
            traffic=table.traffic,
            default_version=table.default_version,
        )

    def unchanged(self, table: RoutingTable, revision: int, spec: dict[str, Any]) -> None:
        """No shift was needed: the routers serve the config's `table` as `revision`; `spec`
        (e.g. a new deployment_config) is now the run's. A last failure stays reported."""
        self._save(
            routing=LiveRouting(table, revision),
            spec=spec,
            traffic=table.traffic,
            default_version=table.default_version,
        )


def _now() -> str:
    return _iso(utc_now())
