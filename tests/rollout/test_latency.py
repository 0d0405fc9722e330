"""Tests for rollout.latency: a p99 from every router's request-time buckets, and reading the
agents' answers through RouterMetricsStats."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from rollout.latency import LatencyHistogram, merge_histograms, parse_latency_answer
from rollout.router_stats import RouterMetricsStats


def _answer(versions: dict[str, list[list[Any]]]) -> str:
    return json.dumps(
        {
            "window_seconds": 60,
            "versions": {
                name: {"requests": sum(count for _, count in buckets), "buckets": buckets}
                for name, buckets in versions.items()
            },
        }
    )


def test_the_p99_is_the_bucket_where_the_cumulative_count_reaches_the_rank() -> None:
    histogram = LatencyHistogram({10: 98, 200: 1, 500: 1})
    assert histogram.percentile(0.99) == 200.0  # rank 99 of 100
    assert histogram.percentile(0.98) == 10.0
    assert histogram.percentile(1.0) == 500.0
    assert LatencyHistogram({10: 1}).percentile(0.99) == 10.0  # one request is its own p99
    assert LatencyHistogram({}).percentile(0.99) is None
    assert LatencyHistogram({10: 1, None: 5}).percentile(0.99) == math.inf


def test_percentiles_of_routers_are_not_averaged_but_their_buckets_summed() -> None:
    # the first router alone has a fast p99; together 2% of the requests are slow
    first = LatencyHistogram({10: 99, 900: 1})
    second = LatencyHistogram({10: 97, 900: 3})
    assert first.percentile(0.99) == 10.0 and second.percentile(0.99) == 900.0
    merged = merge_histograms([first, second])
    assert merged.counts == {10: 196, 900: 4}
    assert merged.requests == 200
    assert merged.percentile(0.99) == 900.0  # rank 198: inside the slow 2%


def test_an_answer_parses_to_histograms() -> None:
    parsed = parse_latency_answer(_answer({"v1": [[5, 3], [None, 1]], "v2": []}))
    assert parsed == {"v1": LatencyHistogram({5: 3, None: 1}), "v2": LatencyHistogram({})}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "no 'versions' object"),
        ('{"versions": {"v1": {}}}', "version 'v1' has no 'buckets' list"),
        ('{"versions": {"v1": {"buckets": [[1]]}}}', "not [ms, count]"),
        ('{"versions": {"v1": {"buckets": [["1", 2]]}}}', "has a bound '1'"),
        ('{"versions": {"v1": {"buckets": [[1, -2]]}}}', "has a count -2"),
    ],
)
def test_a_malformed_answer_is_an_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_latency_answer(text)


class Routers:
    def __init__(self) -> None:
        self.time = 0.0
        self.answers: dict[str, str] = {}
        self.reads: list[int] = []

    def now(self) -> float:
        return self.time

    def scrape(self) -> dict[str, str]:
        return {}

    def latency(self, seconds: int) -> dict[str, str]:
        self.reads.append(seconds)
        return dict(self.answers)


def test_window_stats_carry_the_p99_of_every_router_together() -> None:
    routers = Routers()
    routers.answers = {
        "r1": _answer({"v2": [[10, 99], [900, 1]]}),
        "r2": _answer({"v2": [[10, 97], [900, 3]], "v1": [[4, 10]]}),
    }
    stats = RouterMetricsStats(
        routers.scrape, now=routers.now, min_scrape_interval=1, latency=routers.latency
    )
    assert stats.window("v2", 60).p99_ms is None  # not asked for: not read
    assert routers.reads == []
    assert stats.window("v2", 60, p99=True).p99_ms == 900.0
    assert stats.window("v1", 60, p99=True).p99_ms == 4.0
    assert stats.window("v3", 60, p99=True).p99_ms is None  # no request of v3 anywhere
    assert routers.reads == [60]  # one read per window length and tick
    stats.window("v2", 30, p99=True)
    routers.time = 1
    stats.window("v2", 60, p99=True)
    assert routers.reads == [60, 30, 60]


def test_without_a_latency_source_there_is_no_p99() -> None:
    routers = Routers()
    stats = RouterMetricsStats(routers.scrape, now=routers.now)
    assert stats.window("v1", 60, p99=True).p99_ms is None
