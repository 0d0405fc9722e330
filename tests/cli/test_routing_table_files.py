"""The written table read back from its files: the split map the renderer writes gives back the
table's shares, as the routing directory and the routing ConfigMap hold them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.routing_table_files import read_routing_directory, written_table
from router.split import render_split_map
from router_agent.routing_dir import routing_files, write_generation
from router_agent.split_table import RoutingTableError
from specification.routing import routing_table


def test_the_rendered_split_map_reads_back_as_its_shares() -> None:
    table = routing_table({"a": 33.33, "b": 33.33, "c": 0, "d": 0.01}, "a")
    written = written_table(routing_files(render_split_map(table), 7))
    assert written.revision == 7
    assert written.traffic == {"a": 66.66, "b": 33.33, "d": 0.01}  # c at 0% has no range
    assert sum(written.traffic.values()) == pytest.approx(100)


def test_a_missing_or_refused_file_is_an_error() -> None:
    with pytest.raises(ValueError, match="no split.map and no revision"):
        written_table({})
    files = routing_files(render_split_map(routing_table({"a": 100}, "a")), 1)
    with pytest.raises(RoutingTableError, match="uncovered"):
        written_table({**files, "split.map": "0:99 be_a\n"})
    with pytest.raises(RoutingTableError, match="not a non-negative integer"):
        written_table({**files, "revision": "two"})


def test_a_routing_directory_reads_as_its_current_generation(tmp_path: Path) -> None:
    directory = tmp_path / "routing"
    assert read_routing_directory(directory) is None
    for revision, share in ((1, 10), (2, 40)):
        table = routing_table({"a": 0, "b": share}, "a")
        write_generation(directory, routing_files(render_split_map(table), revision))
    written = read_routing_directory(directory)
    assert written is not None and (written.revision, written.traffic) == (2, {"a": 60.0, "b": 40.0})
