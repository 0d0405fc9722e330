"""The table last written for an endpoint's routers, read back from its files: `split.map` and
`revision`, as a local run's routing directory and a cluster's routing ConfigMap both hold them.

The split map gives each version's buckets (`<first>:<last> be_<version>`), so its shares are
exactly what the routers serve once they report its revision; the files are checked as the
routing agent checks them (`router_agent.split_table`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rollout.status_derivation import WrittenTable
from router_agent.routing_dir import REVISION_FILE, SPLIT_MAP_FILE, read_generation
from router_agent.safe_values import BACKEND_PREFIX
from router_agent.split_table import BUCKETS, parse_revision, parse_split_map

__all__ = ["read_routing_directory", "written_table"]


def written_table(files: Mapping[str, str]) -> WrittenTable:
    """The table of `files` (`split.map` and `revision`); ValueError when either is missing or
    is one the routing agent would refuse."""
    missing = [name for name in (SPLIT_MAP_FILE, REVISION_FILE) if name not in files]
    if missing:
        raise ValueError(f"no {' and no '.join(missing)}")
    steps: dict[str, int] = {}
    for bucket_range, backend in parse_split_map(files[SPLIT_MAP_FILE]):
        first, last = (int(bound) for bound in bucket_range.split(":"))
        version = backend.removeprefix(BACKEND_PREFIX)
        steps[version] = steps.get(version, 0) + last - first + 1
    traffic = {version: round(count * 100 / BUCKETS, 2) for version, count in sorted(steps.items())}
    return WrittenTable(parse_revision(files[REVISION_FILE]), traffic)


def read_routing_directory(directory: Path) -> WrittenTable | None:
    """The table of a routing directory (kubelet's ConfigMap-volume layout); None when none was
    written there yet. OSError or ValueError when it cannot be read or is malformed."""
    try:
        generation = read_generation(directory, (SPLIT_MAP_FILE, REVISION_FILE))
    except FileNotFoundError:
        return None
    return written_table(generation.files)
