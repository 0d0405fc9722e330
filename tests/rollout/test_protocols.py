"""Tests for rollout.protocols: the real clock, and that the test fakes are what the engine takes
(mypy checks them structurally where they are passed; these calls pin the behaviour)."""

from __future__ import annotations

import time

from rollout.protocols import SystemClock, WindowStats


def test_the_system_clock_is_monotonic_and_sleeps() -> None:
    clock = SystemClock()
    before = clock.now()
    clock.sleep(0.05)
    clock.sleep(-1)  # a deadline already passed: no sleep, no error
    after = clock.now()
    assert 0.05 <= after - before < 1
    assert abs(clock.now() - time.monotonic()) < 0.5


def test_window_stats_without_latency() -> None:
    assert WindowStats(requests=3, errors_5xx=1) == WindowStats(3, 1, None)
