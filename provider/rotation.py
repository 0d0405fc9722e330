"""Rotation counters only go up: the rule shared by API keys and the token-signing key.

Raising a counter regenerates a credential. Lowering it (say, by reverting the pull request that
raised it) would regenerate it again without bringing the old credential back, which is never what
the reverter meant, so `check` rejects it and says which value to use instead.
"""

from __future__ import annotations

from provider.problems import Problem

__all__ = ["lowered_counter_problem"]


def lowered_counter_problem(name: str, old: int, new: int) -> Problem | None:
    """A `Problem` when the counter `name` went down from `old` to `new`, else None."""
    if new >= old:
        return None
    return Problem(
        name,
        f"{name} went down from {old} to {new}; rotation counters only go up (lowering one would "
        f"regenerate the credential, not restore the old one): keep {old}, or set {old + 1} to "
        "rotate again",
    )
