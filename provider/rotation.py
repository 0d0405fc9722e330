"""Rotation counters only go up: the rule shared by API keys and the token-signing key, as a
`check` problem (the rule and its words: `specification.rotation`, which the review shares).
"""

from __future__ import annotations

from provider.problems import Problem
from specification.rotation import lowered_counter_reason

__all__ = ["lowered_counter_problem"]


def lowered_counter_problem(name: str, old: int, new: int) -> Problem | None:
    """A `Problem` when the counter `name` went down from `old` to `new`, else None
    (`specification.rotation.lowered_counter_reason`)."""
    reason = lowered_counter_reason(name, old, new)
    return None if reason is None else Problem(name, reason)
