"""How long the router waits: one formula for the cluster's pods and local mode's process.

The slowest request a version can take is its queue wait plus its scoring timeout. The router's
client timeout must outlast it, a stopping router must be allowed to finish it (HAProxy's
`hard-stop-after`), and a pod's grace period must cover the pre-stop delay plus that drain, or
Kubernetes kills HAProxy with requests still in flight.
"""

from __future__ import annotations

import math

from specification.endpoint import EndpointSpec

__all__ = [
    "CLIENT_TIMEOUT_FLOOR_MS",
    "DRAIN_MARGIN_MS",
    "PRE_STOP_DELAY_SECONDS",
    "client_timeout_ms",
    "drain_ms",
    "slowest_request_ms",
    "termination_grace_seconds",
]

CLIENT_TIMEOUT_FLOOR_MS = 30_000
# Time past the slowest request for the last response to reach its client and HAProxy to exit.
DRAIN_MARGIN_MS = 10_000
# A cluster pod sleeps this long before HAProxy is told to stop, so the Service stops sending first.
PRE_STOP_DELAY_SECONDS = 5


def slowest_request_ms(spec: EndpointSpec) -> int:
    """The longest a request can take in the router: queue wait plus scoring timeout."""
    return max(v.scoring_timeout_ms + v.max_request_wait_time for v in spec.versions)


def client_timeout_ms(spec: EndpointSpec) -> int:
    """HAProxy's `timeout client`: longer than the slowest request, at least 30 s."""
    return max(CLIENT_TIMEOUT_FLOOR_MS, slowest_request_ms(spec) + 5_000)


def drain_ms(spec: EndpointSpec) -> int:
    """HAProxy's `hard-stop-after`: how long a stopping router may take to finish its requests."""
    return slowest_request_ms(spec) + DRAIN_MARGIN_MS


def termination_grace_seconds(spec: EndpointSpec) -> int:
    """A router pod's `terminationGracePeriodSeconds`: the pre-stop delay, then the drain."""
    return PRE_STOP_DELAY_SECONDS + math.ceil(drain_ms(spec) / 1000)
