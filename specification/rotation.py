"""Rotation counters only go up: the rule on `primary_key_rotation`, `secondary_key_rotation` and
`token_signing_key_rotation` between a deployed config and a new one.

Raising a counter regenerates a credential. Lowering it (say, by reverting the pull request that
raised it) would regenerate it again without bringing the old credential back, which is never what
the reverter meant. The key providers' `check` (`pulumi preview`) and the review both apply it.
"""

from __future__ import annotations

__all__ = ["ROTATION_COUNTERS", "lowered_counter_reason"]

ROTATION_COUNTERS = ("primary_key_rotation", "secondary_key_rotation", "token_signing_key_rotation")


def lowered_counter_reason(name: str, old: int, new: int) -> str | None:
    """Why the counter `name` may not go from `old` to `new`, or None when it may."""
    if new >= old:
        return None
    return (
        f"{name} went down from {old} to {new}; rotation counters only go up (lowering one would "
        f"regenerate the credential, not restore the old one): keep {old}, or set {old + 1} to "
        "rotate again"
    )
