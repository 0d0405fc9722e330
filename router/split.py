"""The routing table as HAProxy sees it: `rand(10000)` buckets, one contiguous range per version.

The table (`specification.routing.RoutingTable`) is passed in, not recomputed or re-checked here:
its steps are 0.01% each and sum to exactly 10000 by construction. A bucket is 0.01%; weighted
servers cannot express that (weights stop at 256), map ranges can.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.names import target_backend
from specification.routing import RoutingTable

__all__ = ["SPLIT_MAP_COMMENT", "split_entries", "render_map", "render_split_map"]

SPLIT_MAP_COMMENT = "rand(10000) bucket range -> backend (1 bucket = 0.01%)"


def split_entries(routing: RoutingTable) -> list[tuple[str, str]]:
    """The split map's `(range, backend)` lines: `("0:6999", "be_v1")`, ... covering 0..9999 in
    the table's version order. Versions at 0% get no range (they stay reachable by pinning). A
    version being replaced blue/green has two entries, `v` and `v_green` (`router.names`)."""
    entries: list[tuple[str, str]] = []
    start = 0
    for name, count in routing.steps.items():
        if count:
            entries.append((f"{start}:{start + count - 1}", target_backend(name)))
            start += count
    return entries


def render_map(entries: Sequence[tuple[str, str]], comment: str) -> str:
    """Map file text: a comment line, then one `key value` per line (keys and values checked)."""
    lines = [f"# {comment}"]
    lines += [f"{key} {value}" for key, value in entries]
    return "\n".join(lines) + "\n"


def render_split_map(routing: RoutingTable) -> str:
    """The split map file's text for `routing`."""
    return render_map(split_entries(routing), SPLIT_MAP_COMMENT)
