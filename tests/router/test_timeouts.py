"""One timeout formula for every router: the client timeout, the drain and a pod's grace period."""

from __future__ import annotations

from router.timeouts import (
    CLIENT_TIMEOUT_FLOOR_MS,
    PRE_STOP_DELAY_SECONDS,
    client_timeout_ms,
    drain_ms,
    slowest_request_ms,
    termination_grace_seconds,
)
from tests.specs import endpoint, version


def test_the_slowest_request_is_queue_wait_plus_scoring_timeout_of_the_slowest_version() -> None:
    spec = endpoint(
        version("v1", scoring_timeout_ms=60_000, max_request_wait_time=500),
        version("v2", scoring_timeout_ms=90_000, max_request_wait_time=2_000),
    )
    assert slowest_request_ms(spec) == 92_000
    assert client_timeout_ms(spec) == 97_000
    assert drain_ms(spec) > slowest_request_ms(spec)


def test_a_fast_endpoint_keeps_the_client_timeout_floor() -> None:
    spec = endpoint(version("v1", scoring_timeout_ms=100, max_request_wait_time=10))
    assert client_timeout_ms(spec) == CLIENT_TIMEOUT_FLOOR_MS


def test_the_grace_period_covers_the_pre_stop_delay_and_the_whole_drain() -> None:
    """Kubernetes kills the pod when the grace period ends: HAProxy must have drained by then."""
    spec = endpoint(version("v1", scoring_timeout_ms=60_001, max_request_wait_time=500))
    assert termination_grace_seconds(spec) * 1000 >= PRE_STOP_DELAY_SECONDS * 1000 + drain_ms(spec)
