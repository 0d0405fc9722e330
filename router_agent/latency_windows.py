"""Per-version request times over trailing windows, as histograms: what a p99 latency alarm reads.

HAProxy 2.6's Prometheus exporter has no latency histogram, so the router logs one line per
request to the agent (`request_log`), and the agent keeps, for each version and each second, a
count of requests per time bucket. A window is the sum of its seconds' buckets; its 99th
percentile is read by whoever merges the windows of every router (`rollout.latency`), since
percentiles of separate routers cannot be combined, but their buckets can.

Buckets: one per millisecond up to `EXACT_UP_TO_MS`, then upper bounds growing by
`GROWTH` (5%) up to `LAST_BOUND_MS`, then one overflow bucket. A percentile is reported as its
bucket's upper bound, so it is at most 5% above the true value, never below it: an alarm errs
toward rolling back. Memory is bounded: a version costs one fixed array per second in which it
served, for at most `KEEP_SECONDS` seconds (the longest alarm window).
"""

from __future__ import annotations

import bisect
import math
import threading
from array import array
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = [
    "BUCKET_BOUNDS",
    "EXACT_UP_TO_MS",
    "GROWTH",
    "KEEP_SECONDS",
    "LatencyWindows",
    "bucket_index",
]

EXACT_UP_TO_MS = 20
GROWTH = 1.05
LAST_BOUND_MS = 3_600_000  # an hour: beyond any scoring timeout the spec allows
KEEP_SECONDS = 3600  # the longest alarm window (specification.alarms: window_seconds <= 3600)


def _bounds() -> tuple[int, ...]:
    bounds = list(range(EXACT_UP_TO_MS + 1))
    while bounds[-1] < LAST_BOUND_MS:
        bounds.append(max(bounds[-1] + 1, math.ceil(bounds[-1] * GROWTH)))
    return tuple(bounds)


# Upper bounds (inclusive, in ms) of the buckets; a time above the last goes to the overflow bucket.
BUCKET_BOUNDS = _bounds()
_OVERFLOW = len(BUCKET_BOUNDS)


def bucket_index(milliseconds: int) -> int:
    """The bucket of a request that took `milliseconds`: the first whose upper bound is >= it."""
    return bisect.bisect_left(BUCKET_BOUNDS, max(0, milliseconds))


def _upper_bound(index: int) -> int | None:
    return BUCKET_BOUNDS[index] if index < _OVERFLOW else None


class LatencyWindows:
    """Request times per version and second. `record` is called by the log receiver's thread,
    `window` by the HTTP server's threads; `now` is a monotonic clock in seconds."""

    def __init__(self, now: Callable[[], float], keep_seconds: int = KEEP_SECONDS) -> None:
        self._now = now
        self._keep = keep_seconds
        self._lock = threading.Lock()
        # oldest first: (second, {version: counts per bucket})
        self._seconds: deque[tuple[int, dict[str, array[int]]]] = deque()

    def record(self, version: str, milliseconds: int) -> None:
        """Count one request of `version` that took `milliseconds`, at the current second."""
        second = int(self._now())
        with self._lock:
            if not self._seconds or self._seconds[-1][0] != second:
                self._seconds.append((second, {}))
                while self._seconds and self._seconds[0][0] <= second - self._keep:
                    self._seconds.popleft()
            versions = self._seconds[-1][1]
            counts = versions.get(version)
            if counts is None:
                counts = versions[version] = array("I", bytes(4 * (_OVERFLOW + 1)))
            counts[bucket_index(milliseconds)] += 1

    def window(self, seconds: int) -> dict[str, Any]:
        """The last `seconds` seconds (the current one included) as JSON: `{"window_seconds": N,
        "versions": {version: {"requests": n, "buckets": [[upper_ms, count], ...]}}}`, nonzero
        buckets only, ascending; the overflow bucket's upper bound is null."""
        first = int(self._now()) - seconds + 1
        totals: dict[str, list[int]] = {}
        with self._lock:
            for second, versions in reversed(self._seconds):
                if second < first:
                    break
                for version, counts in versions.items():
                    total = totals.setdefault(version, [0] * (_OVERFLOW + 1))
                    for index, count in enumerate(counts):
                        if count:
                            total[index] += count
        return {
            "window_seconds": seconds,
            "versions": {
                version: {
                    "requests": sum(total),
                    "buckets": [
                        [_upper_bound(index), count] for index, count in enumerate(total) if count
                    ],
                }
                for version, total in sorted(totals.items())
            },
        }
