"""What `local apply` reports while it runs, per endpoint, and what it returns.

Besides the step engine's own events (`rollout.ShiftEvent`: step applied, routers caught up, bake
progress with the alarm readings, rolling back, ...), an apply says which shift it planned, that
an endpoint's table is already the config's, that it found (and rolled back) a shift whose
`local apply` was killed, and that a replacement's green grew before a step. A sink gets
`(endpoint, event)`; the command line draws its progress bars and alarm lines from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Union

from local_runtime.routing_record import LocalShift
from rollout import PlannedStep, ShiftEvent, ShiftResult
from specification.routing import RoutingTable

__all__ = [
    "ApplyEvent",
    "ApplyEventSink",
    "ApplyReport",
    "EndpointOutcome",
    "EndpointUnchanged",
    "GreenGrown",
    "InterruptedShiftFound",
    "InterruptedShiftRolledBack",
    "Outcome",
    "ShiftPlanned",
]


@dataclass(frozen=True)
class InterruptedShiftFound:
    """The run record holds a shift whose process is gone (`record`; None when the record is
    malformed); the routers report `reported` (None: no answer). It is rolled back to its
    starting table as `revision`."""

    record: LocalShift | None
    reported: tuple[int | None, ...]
    revision: int


@dataclass(frozen=True)
class InterruptedShiftRolledBack:
    """Every router serves the interrupted shift's starting table again, as `revision`."""

    table: RoutingTable
    revision: int


@dataclass(frozen=True)
class ShiftPlanned:
    """The shift about to run: from `start` (live as `start_revision`) to `target` in `steps`,
    baking `termination_wait_seconds` after the last; `policy` describes the stepping."""

    start: RoutingTable
    start_revision: int
    target: RoutingTable
    steps: tuple[PlannedStep, ...]
    termination_wait_seconds: float
    policy: str


@dataclass(frozen=True)
class EndpointUnchanged:
    """The routers already serve the config's table (`revision`), or keep their live one because
    weights are retained (`declared`: the config's table, not applied); only the recorded spec
    (e.g. a new deployment_config) was updated."""

    table: RoutingTable
    revision: int
    declared: RoutingTable | None = None


@dataclass(frozen=True)
class GreenGrown:
    """A blue/green replacement sized in pods grew `version`'s green before a step: `started`
    (replica names) answer and are in the router's green backend, `replicas` in all."""

    version: str
    started: tuple[str, ...]
    replicas: int


ApplyEvent = Union[
    InterruptedShiftFound,
    InterruptedShiftRolledBack,
    ShiftPlanned,
    EndpointUnchanged,
    GreenGrown,
    ShiftEvent,
]
ApplyEventSink = Callable[[str, ApplyEvent], None]
# `rollback_failed`: the shift failed and even its rollback could not be confirmed
# `replaced`: a version was replaced blue/green (its traffic moved to its new replicas and back
# under its own name; the table is the one it started from)
Outcome = Literal["unchanged", "shifted", "replaced", "rolled_back", "rollback_failed"]


@dataclass(frozen=True)
class EndpointOutcome:
    """What apply did to one endpoint: its routers went from `start` (revision `start_revision`)
    to `table` (revision `revision`, the live one now) along `steps`; `recovered` is the revision
    an interrupted shift was rolled back to first (None: there was none)."""

    endpoint: str
    outcome: Outcome
    start: RoutingTable
    start_revision: int
    target: RoutingTable
    table: RoutingTable
    revision: int
    steps: tuple[PlannedStep, ...] = ()
    result: ShiftResult | None = None
    recovered: int | None = None
    failure: str | None = None


@dataclass(frozen=True)
class ApplyReport:
    """Every endpoint apply reached, in config order; on a rollback, the last one rolled back."""

    stack: str
    endpoints: tuple[EndpointOutcome, ...]

    @property
    def rolled_back(self) -> EndpointOutcome | None:
        return next(
            (e for e in self.endpoints if e.outcome in ("rolled_back", "rollback_failed")), None
        )
