"""A version's 99th-percentile request time over a window, from every router's request-time buckets.

Each router's agent answers `GET /latency?window=N` with per-version histograms (upper bound in
ms, count) of the requests it saw in the last N seconds (`router_agent.latency_windows`).
Percentiles of separate routers cannot be combined; their buckets can: the counts are summed per
upper bound over routers, then the percentile is the upper bound of the bucket where the
cumulative count reaches the rank (nearest-rank method). So the value is at most one bucket width
(5%) above the true p99, never below it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["LatencyHistogram", "merge_histograms", "parse_latency_answer"]


@dataclass(frozen=True)
class LatencyHistogram:
    """A version's request times: `{upper bound ms (None: beyond the last bound): count}`."""

    counts: Mapping[int | None, int]

    @property
    def requests(self) -> int:
        return sum(self.counts.values())

    def percentile(self, fraction: float) -> float | None:
        """The nearest-rank `fraction` percentile's bucket upper bound (ms), None without data;
        `math.inf` when it falls in the overflow bucket."""
        total = self.requests
        if total == 0:
            return None
        rank = max(1, math.ceil(fraction * total))
        seen = 0
        for bound in sorted(self.counts, key=lambda b: math.inf if b is None else b):
            seen += self.counts[bound]
            if seen >= rank:
                return math.inf if bound is None else float(bound)
        return math.inf  # unreachable: the counts sum to total


def parse_latency_answer(text: str) -> dict[str, LatencyHistogram]:
    """`{version: histogram}` from one agent's `/latency` JSON; ValueError when it is not one."""
    document = json.loads(text)
    versions = document.get("versions") if isinstance(document, dict) else None
    if not isinstance(versions, dict):
        raise ValueError("a /latency answer has no 'versions' object")
    histograms: dict[str, LatencyHistogram] = {}
    for version, entry in versions.items():
        buckets = entry.get("buckets") if isinstance(entry, dict) else None
        if not isinstance(buckets, list):
            raise ValueError(f"/latency: version {version!r} has no 'buckets' list")
        counts: Counter[int | None] = Counter()
        for bucket in buckets:
            if not (isinstance(bucket, list) and len(bucket) == 2):
                raise ValueError(f"/latency: version {version!r} has a bucket that is not [ms, count]")
            bound, count = bucket
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                raise ValueError(f"/latency: version {version!r} has a bound {bound!r}")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"/latency: version {version!r} has a count {count!r}")
            counts[bound] += count
        histograms[str(version)] = LatencyHistogram(dict(counts))
    return histograms


def merge_histograms(histograms: Iterable[LatencyHistogram]) -> LatencyHistogram:
    """One histogram of every router's requests: counts summed per upper bound."""
    total: Counter[int | None] = Counter()
    for histogram in histograms:
        total.update(histogram.counts)
    return LatencyHistogram(dict(total))
