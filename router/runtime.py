"""Runtime-API commands that swap the traffic split in a running HAProxy without a reload.

The command builders (`prepare map`, `add map @N`, `commit map @N`, each value checked) are the
routing agent's (`router_agent.runtime_api`): one implementation, used by the agent beside every
router and re-exported here. This module adds what needs the routing table: the commands that make
a `RoutingTable` the live split, and the split map file's text for it. Runtime edits are lost on
reload, so the same table must be in the map file. Pure functions.
"""

from __future__ import annotations

from router.names import SPLIT_MAP
from router.split import render_split_map, split_entries
from router_agent.runtime_api import (
    load_map_commands,
    parse_prepare_map_response,
    prepare_map_command,
)
from specification.routing import RoutingTable

__all__ = [
    "prepare_map_command",
    "parse_prepare_map_response",
    "load_map_commands",
    "weight_change_commands",
    "split_map_file",
]


def weight_change_commands(routing: RoutingTable, map_path: str, version: int) -> list[str]:
    """The commands that make `routing` the live split, after `prepare map` returned `version`."""
    return load_map_commands(map_path, split_entries(routing), version)


def split_map_file(routing: RoutingTable) -> tuple[str, str]:
    """(file name, content) of the split map for `routing`, to write so a reload keeps it."""
    return SPLIT_MAP, render_split_map(routing)
