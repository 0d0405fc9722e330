"""The traffic math of the seed: each version takes its share, the default takes the remainder.

Computed in integer 0.01% steps so sums are exact: 33.33 + 33.33 + 33.34 is 100, not 99.99999.
"""

from __future__ import annotations

from collections.abc import Mapping

from specification.version import TRAFFIC_STEPS_PER_PERCENT

__all__ = ["TOTAL_STEPS", "to_steps", "effective_steps", "effective_traffic"]

TOTAL_STEPS = 100 * TRAFFIC_STEPS_PER_PERCENT


def to_steps(percent: float) -> int:
    """Percent -> integer 0.01% steps."""
    return round(percent * TRAFFIC_STEPS_PER_PERCENT)


def effective_steps(shares: Mapping[str, float], default: str) -> dict[str, int]:
    """Each version's share in 0.01% steps, with the unassigned remainder added to `default`.

    Raises ValueError when the shares exceed 100% or `default` is not one of the versions.
    """
    if default not in shares:
        raise ValueError(f"default version {default!r} is not one of {sorted(shares)}")
    steps = {name: to_steps(percent) for name, percent in shares.items()}
    assigned = sum(steps.values())
    if assigned > TOTAL_STEPS:
        raise ValueError(
            f"traffic_percentile values sum to {assigned / TRAFFIC_STEPS_PER_PERCENT:g}, more than 100"
        )
    steps[default] += TOTAL_STEPS - assigned
    return steps


def effective_traffic(shares: Mapping[str, float], default: str) -> dict[str, float]:
    """`{version: percent}` summing to exactly 100: the remainder goes to the default version."""
    return {
        name: step / TRAFFIC_STEPS_PER_PERCENT
        for name, step in effective_steps(shares, default).items()
    }
