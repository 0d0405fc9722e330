"""Read and check a routing table as the routing directory holds it: `split.map` and `revision`.

`split.map` is the router's split map as `router.split.render_split_map` writes it: comment lines,
then one `<first>:<last> be_<version>` line per version, the `rand(10000)` buckets `first..last`
going to that backend. A table is accepted only when every bucket 0..9999 is covered exactly once
and every backend is `be_` plus a strict name, so a table that would send some requests nowhere,
or anything HAProxy might read differently, is refused as a whole. `revision` holds one
non-negative integer: the TrafficSplit's revision of the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from router_agent.safe_values import BACKEND_PATTERN

__all__ = ["BUCKETS", "RoutingTableError", "SplitTable", "parse_revision", "parse_split_map"]

BUCKETS = 10_000  # the router draws rand(10000): one bucket is 0.01% of the traffic
_BOUND = r"(0|[1-9][0-9]{0,3})"
_ENTRY = re.compile(rf"^{_BOUND}:{_BOUND} (\S+)$")
_REVISION = re.compile(r"^(0|[1-9][0-9]{0,17})\n?$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


class RoutingTableError(ValueError):
    """A `split.map` or `revision` the agent refuses; the message says which line and why."""


@dataclass(frozen=True)
class SplitTable:
    """A checked table: its `(range, backend)` entries in file order, and its revision."""

    entries: tuple[tuple[str, str], ...]
    revision: int

    @property
    def buckets(self) -> dict[str, int]:
        """`{backend: buckets}`: how many of the `BUCKETS` buckets each backend gets (its share
        in 0.01% steps), in file order."""
        counts: dict[str, int] = {}
        for bucket_range, backend in self.entries:
            first, _, last = bucket_range.partition(":")
            counts[backend] = counts.get(backend, 0) + int(last) - int(first) + 1
        return counts


def _entry(number: int, line: str) -> tuple[int, int, str]:
    match = _ENTRY.fullmatch(line)
    if match is None:
        raise RoutingTableError(
            f"split.map line {number}: {line!r} is not '<first>:<last> be_<version>'"
        )
    first, last, backend = int(match.group(1)), int(match.group(2)), match.group(3)
    if not BACKEND_PATTERN.fullmatch(backend):
        raise RoutingTableError(
            f"split.map line {number}: backend {backend!r} is not be_<version> "
            f"({BACKEND_PATTERN.pattern})"
        )
    if first > last:  # (four digits at most: never past bucket 9999)
        raise RoutingTableError(
            f"split.map line {number}: bucket range {first}:{last} ends before it starts"
        )
    return first, last, backend


def _check_coverage(ranges: list[tuple[int, int, int]]) -> None:
    """`(first, last, line)` ranges must cover 0..BUCKETS-1 exactly once."""
    if not ranges:
        raise RoutingTableError(f"split.map has no entries: buckets 0-{BUCKETS - 1} go nowhere")
    expected, previous_line = 0, 0
    for first, last, line in sorted(ranges):
        if first > expected:
            raise RoutingTableError(
                f"split.map leaves buckets {expected}-{first - 1} uncovered (before line {line})"
            )
        if first < expected:
            raise RoutingTableError(
                f"split.map covers buckets {first}-{min(last, expected - 1)} twice "
                f"(lines {previous_line} and {line})"
            )
        expected, previous_line = last + 1, line
    if expected < BUCKETS:
        raise RoutingTableError(f"split.map leaves buckets {expected}-{BUCKETS - 1} uncovered")


def parse_split_map(text: str) -> tuple[tuple[str, str], ...]:
    """The `(range, backend)` entries of a split map's text, in file order, or
    RoutingTableError. Blank lines and `#` comments are skipped, as HAProxy does."""
    entries: list[tuple[str, str]] = []
    ranges: list[tuple[int, int, int]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not _PRINTABLE.fullmatch(line):
            raise RoutingTableError(
                f"split.map line {number}: {line!r} holds a character other than printable ASCII"
            )
        if not line or line.startswith("#"):
            continue
        first, last, backend = _entry(number, line)
        entries.append((f"{first}:{last}", backend))
        ranges.append((first, last, number))
    _check_coverage(ranges)
    return tuple(entries)


def parse_revision(text: str) -> int:
    """The revision in a `revision` file's text (one non-negative integer), or RoutingTableError."""
    match = _REVISION.fullmatch(text)
    if match is None:
        raise RoutingTableError(f"revision {text!r} is not a non-negative integer")
    return int(match.group(1))
