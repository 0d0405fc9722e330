"""Tests for rollout.router_stats: per-version windows from the routers' own Prometheus text, on
scripted scrapes (windows, several routers, restarts) and for real against haproxy on loopback,
where the step engine also rolls a canary back from those metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from rollout.alarm_readings import read_router_alarm
from rollout.protocols import SystemClock, WindowStats
from rollout.router_stats import RouterMetricsStats, response_counts, scrape_urls
from rollout.shift_engine import ShiftPolicy, run_shift
from rollout.shift_errors import ShiftRolledBack
from rollout.steps import plan_steps
from specification.alarms import RouterMetricAlarm
from specification.deployment_config import TrafficRoutingConfiguration
from specification.routing import RoutingTable
from tests.rollout.real_router import running_router, score
from tests.router.router_harness import RouterProcess


def _text(counts: Mapping[str, tuple[int, int]]) -> str:
    """A router's /metrics?scope=backend text with `{version: (2xx, 5xx)}` responses."""
    lines = ["# TYPE haproxy_backend_http_responses_total counter"]
    for version, (ok, failed) in counts.items():
        for code, value in (("1xx", 0), ("2xx", ok), ("4xx", 1), ("5xx", failed), ("other", 0)):
            labels = f'proxy="be_{version}",code="{code}"'
            lines.append(f"haproxy_backend_http_responses_total{{{labels}}} {value}")
        lines.append(f'haproxy_backend_current_queue{{proxy="be_{version}"}} 3')
    lines.append('haproxy_frontend_http_responses_total{proxy="fe_main",code="5xx"} 99')
    return "\n".join(lines) + "\n"


class Scripted:
    """Routers' texts per scrape, and a clock the test moves."""

    def __init__(self) -> None:
        self.time = 0.0
        self.texts: dict[str, str] = {}
        self.scrapes = 0

    def now(self) -> float:
        return self.time

    def scrape(self) -> dict[str, str]:
        self.scrapes += 1
        return dict(self.texts)


def test_response_counts_per_version() -> None:
    counts = response_counts(_text({"v1": (10, 0), "v2": (30, 7)}))
    assert {v: (c.responses, c.errors_5xx) for v, c in counts.items()} == {
        "v1": (11, 0),  # 10 2xx and one 4xx
        "v2": (38, 7),
    }


def test_a_window_is_the_increase_since_its_start() -> None:
    routers = Scripted()
    stats = RouterMetricsStats(routers.scrape, now=routers.now, min_scrape_interval=1)

    routers.texts = {"r1": _text({"v2": (100, 0)})}
    assert stats.window("v2", 10) == WindowStats(0, 0, None)  # the first sample is a baseline
    for second, (ok, failed) in ((5, (110, 2)), (10, (130, 4)), (15, (150, 10))):
        routers.time = second
        routers.texts = {"r1": _text({"v2": (ok, failed)})}
        stats.scrape()
    # at 15 s a 10 s window starts at 5 s: from (110 + 1, 2) to (150 + 1, 10)
    assert stats.window("v2", 10) == WindowStats(requests=48, errors_5xx=8, p99_ms=None)
    # a window longer than the watch counts from the first sample
    assert stats.window("v2", 60) == WindowStats(requests=60, errors_5xx=10, p99_ms=None)
    assert stats.window("v9", 60) == WindowStats(0, 0, None)  # unknown to the routers


def test_windows_sum_routers_and_survive_a_restart() -> None:
    routers = Scripted()
    stats = RouterMetricsStats(routers.scrape, now=routers.now, min_scrape_interval=1)
    routers.texts = {"r1": _text({"v2": (50, 5)}), "r2": _text({"v2": (70, 0)})}
    stats.scrape()
    routers.time = 5
    # r2 restarted (its counters start again) and r3 appeared
    routers.texts = {
        "r1": _text({"v2": (60, 6)}),
        "r2": _text({"v2": (4, 1)}),
        "r3": _text({"v2": (8, 0)}),
    }
    # r1: 56 -> 67 responses (one more 5xx); r2 went down (71 -> 6), so its 6 are new, one a 5xx;
    # r3's first sample is its baseline
    assert stats.window("v2", 30) == WindowStats(requests=17, errors_5xx=2, p99_ms=None)


def test_one_scrape_per_tick() -> None:
    routers = Scripted()
    routers.texts = {"r1": _text({"v1": (1, 0), "v2": (1, 0)})}
    stats = RouterMetricsStats(routers.scrape, now=routers.now, min_scrape_interval=1)
    stats.window("v1", 10)
    stats.window("v2", 10)
    assert routers.scrapes == 1
    routers.time = 1
    stats.window("v2", 10)
    assert routers.scrapes == 2


def test_old_samples_are_dropped_but_the_longest_window_keeps_its_baseline() -> None:
    routers = Scripted()
    stats = RouterMetricsStats(routers.scrape, now=routers.now, min_scrape_interval=1)
    for minute in range(0, 121):
        routers.time = minute * 60.0
        routers.texts = {"r1": _text({"v2": (minute, 0)})}
        stats.scrape()
    history = stats._routers["r1"].samples
    assert len(history) == 61  # an hour of minutes, and the baseline at its start
    assert stats.window("v2", 3600).requests == 60


# --------------------------------------------------------------------------- real haproxy


def test_windows_from_a_real_router(tmp_path: Path) -> None:
    start = RoutingTable({"v1": 10000, "v2": 0}, "v1")
    with running_router(tmp_path, start) as router:
        metrics_url = f"http://127.0.0.1:{router.metrics_port}"
        stats = RouterMetricsStats(scrape_urls({"router0": metrics_url}), min_scrape_interval=0)
        assert stats.window("v2", 60) == WindowStats(0, 0, None)

        assert score(router, 40, "v2") == [(500, "v2")] * 40
        assert score(router, 30, "v1") == [(200, "v1")] * 30
        assert score(router, 5) == [(200, "v1")] * 5  # by the split: all to v1

        assert stats.window("v2", 60) == WindowStats(requests=40, errors_5xx=40, p99_ms=None)
        assert stats.window("v1", 60) == WindowStats(requests=35, errors_5xx=0, p99_ms=None)

        alarm = RouterMetricAlarm(
            alarm_name="v2-errors", metric="5xx_ratio", threshold=0.05, window_seconds=10
        )
        reading = read_router_alarm(alarm, "v2", stats)
        assert reading.breached
        assert reading.describe() == (
            "5xx_ratio of v2 = 1 > threshold 0.05 (40 requests in 10 s)"
        )
        latency = RouterMetricAlarm.model_construct(
            alarm_name="v2-slow", metric="p99_latency_ms", threshold=100, window_seconds=10
        )
        assert read_router_alarm(latency, "v2", stats).state == "not_enough_data"


class HarnessRouterControl:
    """The harness applies a table through the runtime API at once, so the router reports the
    revision as soon as it is written (the router agent is not needed for this test)."""

    def __init__(self, router: RouterProcess) -> None:
        self.router = router
        self.revision: int | None = 0
        self.tables: list[RoutingTable] = []

    def apply(self, table: RoutingTable, revision: int) -> None:
        self.router.set_weights(table.traffic)
        self.tables.append(table)
        self.revision = revision

    def applied_revisions(self) -> list[int | None]:
        return [self.revision]


def test_the_engine_rolls_a_failing_canary_back_on_a_real_router(tmp_path: Path) -> None:
    start = RoutingTable({"v1": 10000, "v2": 0}, "v1")
    new = RoutingTable({"v1": 0, "v2": 10000}, "v1")
    canary = TrafficRoutingConfiguration.model_validate(
        {
            "type": "CANARY",
            "wait_interval_in_seconds": 3,
            "canary_size": {"type": "CAPACITY_PERCENT", "value": 50},
        }
    )
    alarm = RouterMetricAlarm(
        alarm_name="v2-errors", metric="5xx_ratio", threshold=0.05, window_seconds=10
    )
    with running_router(tmp_path, start) as router:
        control = HarnessRouterControl(router)
        clock = SystemClock()
        stats = RouterMetricsStats(
            scrape_urls({"router0": f"http://127.0.0.1:{router.metrics_port}"}),
            now=clock.now,
            min_scrape_interval=0,
        )
        stop = threading.Event()
        served: list[tuple[int, str]] = []

        def load() -> None:  # about 100 requests a second at most, until the shift ends
            while not stop.is_set() and len(served) < 3000:
                served.extend(score(router, 5))
                time.sleep(0.05)

        traffic = threading.Thread(target=load)
        traffic.start()
        try:
            began = time.monotonic()
            with pytest.raises(ShiftRolledBack) as raised:
                run_shift(
                    start,
                    plan_steps(start, new, canary),
                    start_revision=0,
                    routers=control,
                    clock=clock,
                    policy=ShiftPolicy(check_interval_seconds=0.25, max_execution_seconds=30),
                    alarms=[alarm],
                    stats=stats,
                )
            took = time.monotonic() - began
        finally:
            stop.set()
            traffic.join(timeout=30)

        assert took < 3  # at the canary's bake, before its 3 s were up
        assert [t.traffic for t in control.tables] == [{"v1": 50.0, "v2": 50.0}, start.traffic]
        message = str(raised.value)
        assert "alarm 'v2-errors' breached: 5xx_ratio of v2 = 1 > threshold 0.05" in message
        moved = "50% of the change had moved (v1 100% -> 50%, v2 0% -> 50%)"
        assert f"at step 1 of 2; {moved}" in message
        assert {status for status, version in served if version == "v2"} == {500}
        # the starting table is live: every request goes to v1 again
        assert score(router, 50) == [(200, "v1")] * 50
