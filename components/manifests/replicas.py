"""The seed's replica formula: how many replicas a target load needs (for sizing max replicas)."""

from __future__ import annotations

import math

__all__ = ["required_replicas"]


def required_replicas(
    target_rps: float,
    request_seconds: float,
    target_utilization: int = 70,
    max_concurrent_per_replica: int = 1,
) -> int:
    """ceil(rps x latency / utilization / max concurrent per replica), at least 1.

    The seed's example: 20 rps x 10 s at 70% with 1 request per replica -> 286 replicas.
    """
    if target_rps < 0 or request_seconds < 0:
        raise ValueError("target_rps and request_seconds must be >= 0")
    if not 1 <= target_utilization <= 100:
        raise ValueError(f"target_utilization {target_utilization} must be in 1..100")
    if max_concurrent_per_replica < 1:
        raise ValueError("max_concurrent_per_replica must be >= 1")
    concurrent = target_rps * request_seconds / (target_utilization / 100)
    # Round away float noise (e.g. 0.7 x 10 = 7.000000000000001) before taking the ceiling.
    return max(1, math.ceil(round(concurrent / max_concurrent_per_replica, 9)))
