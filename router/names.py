"""Names the router's configuration uses for endpoint versions, shared with the autoscaler's queries."""

from __future__ import annotations

__all__ = ["backend_name"]


def backend_name(version: str) -> str:
    """The HAProxy backend that serves `version` (the name is validated by the spec first)."""
    return f"be_{version}"
