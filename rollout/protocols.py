"""The I/O a traffic shift needs, as protocols: local mode and the cluster each plug in their own.

The step engine (`rollout.shift_engine`) only decides; it writes tables and reads revisions,
per-version request counts, PromQL values and the time through these four interfaces, so the
same engine runs against local routers, a cluster's routers behind the API server, and the fakes
of the tests (a fake clock makes every wait instant).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from specification.routing import RoutingTable

__all__ = ["Clock", "PromQuery", "RouterControl", "SystemClock", "VersionStats", "WindowStats"]


class RouterControl(Protocol):
    """The endpoint's live routers, as the one writer of their table sees them."""

    def apply(self, table: RoutingTable, revision: int) -> None:
        """Make `table` (a complete table) the table of every live router, tagged `revision`:
        write it where the routers' agents read it. Returns once written, not once applied."""
        ...

    def applied_revisions(self) -> Sequence[int | None]:
        """The revision each live router reports it applied, one entry per router; None for a
        router that does not answer."""
        ...


@dataclass(frozen=True)
class WindowStats:
    """What one version served over a trailing window: responses, those with a 5xx status, and
    the 99th percentile of the total request time when asked for and the source has one (else
    None)."""

    requests: int
    errors_5xx: int
    p99_ms: float | None = None


class VersionStats(Protocol):
    """Per-version router series, for router-metric alarms."""

    def window(self, version: str, seconds: int, *, p99: bool = False) -> WindowStats:
        """`version`'s responses over the last `seconds` seconds, summed over every router;
        with `p99`, also their 99th-percentile time, when the source has request times (a
        source reads them only when asked, so an alarm on errors never waits on them)."""
        ...


class PromQuery(Protocol):
    """Instant PromQL queries, for PromQL alarms."""

    def value(self, expression: str) -> float | None:
        """The expression's value now, or None when it has no result."""
        ...


class Clock(Protocol):
    """Time for deadlines and bakes: seconds on a monotonic scale, and a way to wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: `time.monotonic` (a wall-clock jump cannot cut a bake short) and
    `time.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
