"""The traffic table as HAProxy sees it: `rand(10000)` buckets, one contiguous range per version.

The effective table `{version: percent}` is passed in (a dynamic provider owns it), not recomputed
here; it is checked to name exactly the endpoint's versions, to use 0.01% steps and to sum to 100.
A bucket is 0.01%; weighted servers cannot express that (weights stop at 256), map ranges can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router.names import backend_name
from router.validation import check_finite_number, check_name
from specification import EndpointSpec

__all__ = [
    "BUCKETS",
    "STEPS_PER_PERCENT",
    "traffic_steps",
    "split_entries",
    "render_map",
]

STEPS_PER_PERCENT = 100
BUCKETS = 100 * STEPS_PER_PERCENT  # rand(10000): 0..9999


def traffic_steps(spec: EndpointSpec, traffic: Mapping[str, float]) -> dict[str, int]:
    """Validate `traffic` against `spec` and return `{version: buckets}` in the spec's order.

    Raises ValueError when a name is unsafe, a version is missing or unknown, a share is negative,
    above 100, finer than 0.01%, or the shares do not sum to exactly 100.
    """
    if not isinstance(traffic, Mapping):
        raise ValueError(
            f"traffic must be a mapping of version -> percent, got {type(traffic).__name__}"
        )
    for name in traffic:
        check_name(name, "traffic table version")
    versions = [check_name(v.name, "version name") for v in spec.versions]
    missing = [v for v in versions if v not in traffic]
    unknown = sorted(set(traffic) - set(versions))
    if missing or unknown:
        raise ValueError(
            "traffic table must name exactly the endpoint's versions "
            f"({', '.join(versions)}); missing: {', '.join(missing) or '-'}; "
            f"unknown: {', '.join(unknown) or '-'}"
        )
    steps: dict[str, int] = {}
    for name in versions:
        percent = check_finite_number(traffic[name], f"traffic share of {name}")
        if not 0 <= percent <= 100:
            raise ValueError(f"traffic share of {name} is {percent:g}%, outside 0-100")
        exact = percent * STEPS_PER_PERCENT
        if abs(exact - round(exact)) > 1e-6:
            raise ValueError(f"traffic share of {name} ({percent!r}%) is finer than the 0.01% step")
        steps[name] = round(exact)
    total = sum(steps.values())
    if total != BUCKETS:
        raise ValueError(
            f"traffic shares sum to {total / STEPS_PER_PERCENT:g}%, not 100% "
            f"({', '.join(f'{n}={s / STEPS_PER_PERCENT:g}' for n, s in steps.items())})"
        )
    return steps


def split_entries(spec: EndpointSpec, traffic: Mapping[str, float]) -> list[tuple[str, str]]:
    """The split map's `(range, backend)` lines: `("0:6999", "be_v1")`, ... covering 0..9999.

    Versions at 0% get no range (they stay reachable by pinning).
    """
    entries: list[tuple[str, str]] = []
    start = 0
    for name, count in traffic_steps(spec, traffic).items():
        if count:
            entries.append((f"{start}:{start + count - 1}", backend_name(name)))
            start += count
    return entries


def render_map(entries: Sequence[tuple[str, str]], comment: str) -> str:
    """Map file text: a comment line, then one `key value` per line (keys and values checked)."""
    lines = [f"# {comment}"]
    lines += [f"{key} {value}" for key, value in entries]
    return "\n".join(lines) + "\n"
