"""A cluster shift's record for the endpoint's status, written as annotations of its routing ConfigMap.

`local apply` keeps the shift in flight and the last failure in its run record; in a cluster the
process that walks the shift is `pulumi up` on someone's machine or in CI, so its record goes
where `describe` (anyone, later) reads the cluster: two annotations of the routing ConfigMap,
written by the TrafficSplit as the one writer of that ConfigMap's data. Annotations, not data:
a progress write changes no file in the routers' routing volume, so no agent sees a new
generation.

The record's form is `rollout.shift_annotations`, which `describe` reads.

`ClusterShiftRecorder` writes them from the engine's events; a write that fails is reported once
and never stops the shift (the record is for people; the routers do not read it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from kube_adapter import ClusterAdapter, ClusterError
from rollout import PlannedStep, ShiftEvent, ShiftFailed
from rollout.shift_annotations import (
    LAST_FAILURE_ANNOTATION,
    SHIFT_ANNOTATION,
    failure_annotation,
    shift_annotation,
)
from rollout.shift_progress import LastFailure, ShiftProgress
from specification.routing import RoutingTable

__all__ = ["ClusterShiftRecorder"]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


class ClusterShiftRecorder:
    """Keeps the annotations of the ConfigMap `name` in `namespace` in step with one shift.
    `say` reports a failed write (once); `now` is the wall clock the record's times use."""

    def __init__(
        self,
        adapter: ClusterAdapter,
        namespace: str,
        name: str,
        say: Callable[[str], None],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.adapter = adapter
        self.namespace = namespace
        self.name = name
        self._say = say
        self._now = now
        self._progress: ShiftProgress | None = None
        self._deadline_at = ""
        self._broken = False

    def _write(self, annotations: Mapping[str, str | None]) -> None:
        if self._broken:
            return
        try:
            self.adapter.annotate_config_map(self.namespace, self.name, annotations)
        except (ClusterError, OSError, ValueError) as error:
            self._broken = True
            self._say(
                f"cannot record the shift's progress on ConfigMap '{self.name}' (describe will "
                f"not show it; the shift goes on): {error}"
            )

    def _record(self, progress: ShiftProgress) -> None:
        self._progress = progress
        self._write({SHIFT_ANNOTATION: shift_annotation(progress, self._deadline_at)})

    def begin(
        self,
        start: RoutingTable,
        steps: Sequence[PlannedStep],
        termination_wait_seconds: float,
        give_up_after_seconds: float,
    ) -> None:
        """Record a shift about to write its first step; no driver can still be walking it
        `give_up_after_seconds` from now (the engine's deadline plus its rollback time)."""
        now = self._now()
        self._deadline_at = _iso(now + timedelta(seconds=give_up_after_seconds))
        self._record(ShiftProgress.begin(start, steps, now, termination_wait_seconds))

    def on_event(self, event: ShiftEvent) -> None:
        """Move the record along an engine event; written when its step, phase or revision
        changes (not on every bake tick). Never raises: the engine rolls back when a sink does."""
        progress = self._progress
        if progress is None:
            return
        try:
            moved = progress.advance(event)
        except Exception:  # noqa: BLE001 - a record must never end a shift
            return
        if moved is None:
            self._progress = None  # the driver records the end (completed / failed)
            return
        if (moved.step, moved.phase, moved.revision) != (
            progress.step,
            progress.phase,
            progress.revision,
        ):
            self._record(moved)
        else:
            self._progress = moved

    def completed(self) -> None:
        """The shift completed: no shift in flight and no failure left to report."""
        self._progress = None
        self._write({SHIFT_ANNOTATION: None, LAST_FAILURE_ANNOTATION: None})

    def failed(self, error: ShiftFailed) -> None:
        """The shift failed (rolled back, or worse): the failure replaces the shift record."""
        self._progress = None
        failure = LastFailure.from_error(error, self._now())
        self._write(
            {SHIFT_ANNOTATION: None, LAST_FAILURE_ANNOTATION: failure_annotation(failure)}
        )
