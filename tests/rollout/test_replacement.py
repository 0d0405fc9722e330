"""The tables of a blue/green replacement, and reading one back from a routing ConfigMap's buckets."""

from __future__ import annotations

import pytest

from rollout import replacement
from rollout.replacement import green_shares, live_table, replacement_tables, settled_table
from router import names
from specification.routing import RoutingTable

LIVE = RoutingTable({"va": 9000, "vb": 1000}, "va", "va")


def test_the_entry_and_backend_names_are_the_routers() -> None:
    for version in ("va", "model-2"):
        assert replacement.green_target(version) == names.green_target(version)
        assert replacement.target_backend(version) == names.target_backend(version)
        green = names.green_target(version)
        assert replacement.target_backend(green) == names.target_backend(green)
        assert replacement.version_of_target(green) == names.version_of_target(green) == version


def test_a_replacement_moves_the_versions_share_from_blue_to_green_and_back() -> None:
    tables = replacement_tables(LIVE, "vb")
    assert tables.start.steps == {"va": 9000, "vb": 1000, "vb_green": 0}
    assert tables.target.steps == {"va": 9000, "vb": 0, "vb_green": 1000}
    assert tables.final == LIVE == settled_table(tables.target)
    assert tables.target.control_version == "va" and tables.target.default_version == "va"
    assert green_shares(tables.target) == {"vb": 1000} and green_shares(LIVE) == {}


def test_an_interrupted_replacement_starts_from_where_it_stopped() -> None:
    live = RoutingTable({"va": 9000, "vb": 600, "vb_green": 400}, "va", None)
    tables = replacement_tables(live, "vb")
    assert tables.start == live
    assert tables.target.steps == {"va": 9000, "vb": 0, "vb_green": 1000}
    assert tables.final.steps == {"va": 9000, "vb": 1000}


def test_the_live_table_is_read_back_from_the_split_maps_buckets() -> None:
    table = live_table({"be_va": 9000, "be_vb": 400, "be_vb_green": 600}, ["va", "vb"], "va", None)
    assert table.steps == {"va": 9000, "vb": 400, "vb_green": 600}
    # a version at 0% has no range in the map
    assert live_table({"be_va": 10000}, ["va", "vb"], "va", None).steps == {"va": 10000, "vb": 0}


@pytest.mark.parametrize(
    ("buckets", "message"),
    [
        ({"be_va": 9000, "be_vc": 1000}, "be_vc, a backend of no version"),
        ({"be_va": 9000}, "covers 9000 of 10000 buckets"),
    ],
)
def test_a_map_that_is_not_a_table_of_the_endpoint_is_refused(buckets: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        live_table(buckets, ["va", "vb"], "va", None)
