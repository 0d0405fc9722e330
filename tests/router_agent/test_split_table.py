"""The agent's check of a table: every split map the renderer writes is accepted as it is, and a
table that would send a bucket nowhere, twice, or to anything but `be_<version>` is refused with
the line and the reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.split import render_split_map, split_entries
from router.names import backend_name
from router_agent.split_table import (
    RoutingTableError,
    SplitTable,
    parse_revision,
    parse_split_map,
)
from specification.routing import TOTAL_STEPS, RoutingTable

NAMES = ["v1", "v2", "v3", "canary-2", "a", "z9"]


@st.composite
def tables(draw: st.DrawFn) -> RoutingTable:
    """Any table of 1-6 versions whose steps sum to 10000 (some may be 0)."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    cuts = sorted(draw(st.lists(st.integers(0, TOTAL_STEPS), min_size=len(names) - 1,
                                max_size=len(names) - 1)))
    bounds = [0, *cuts, TOTAL_STEPS]
    steps = {name: bounds[i + 1] - bounds[i] for i, name in enumerate(names)}
    default = max(steps, key=lambda name: steps[name])
    return RoutingTable(steps, default)


@given(tables())
def test_every_rendered_split_map_is_accepted_entry_for_entry(routing: RoutingTable) -> None:
    assert parse_split_map(render_split_map(routing)) == tuple(split_entries(routing))


@given(tables())
def test_the_buckets_of_a_table_are_its_shares_in_steps(routing: RoutingTable) -> None:
    table = SplitTable(parse_split_map(render_split_map(routing)), revision=1)
    assert table.buckets == {backend_name(n): s for n, s in routing.steps.items() if s}


def test_comments_blank_lines_and_any_order_are_fine() -> None:
    text = "# a comment\n\n5000:9999 be_v2\n# another\n0:4999 be_v1\n"
    assert parse_split_map(text) == (("5000:9999", "be_v2"), ("0:4999", "be_v1"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "has no entries"),
        ("# only a comment\n", "has no entries"),
        ("0:4999 be_v1\n", "leaves buckets 5000-9999 uncovered"),
        ("1:9999 be_v1\n", "leaves buckets 0-0 uncovered (before line 1)"),
        ("0:4999 be_v1\n5001:9999 be_v2\n", "leaves buckets 5000-5000 uncovered (before line 2)"),
        ("0:5999 be_v1\n5000:9999 be_v2\n", "covers buckets 5000-5999 twice (lines 1 and 2)"),
        ("0:9999 be_v1\n0:9999 be_v2\n", "covers buckets 0-9999 twice"),
        ("0:10000 be_v1\n", "line 1: '0:10000 be_v1' is not"),
        ("0:9999 be_v1\n10000:10000 be_v2\n", "line 2: '10000:10000 be_v2' is not"),
        ("5000:4999 be_v1\n", "bucket range 5000:4999 ends before it starts"),
        ("00:9999 be_v1\n", "is not '<first>:<last> be_<version>'"),
        ("-1:9999 be_v1\n", "is not '<first>:<last> be_<version>'"),
        ("0:9999  be_v1\n", "is not '<first>:<last> be_<version>'"),
        (" 0:9999 be_v1\n", "is not '<first>:<last> be_<version>'"),
        ("0:9999 be_v1 extra\n", "is not '<first>:<last> be_<version>'"),
        ("0:9999\tbe_v1\n", "other than printable ASCII"),
        ("0:9999 be_v1\r\n", "other than printable ASCII"),
        ("0:9999 be_vé\n", "other than printable ASCII"),
        ("0:9999 v1\n", "backend 'v1' is not be_<version>"),
        ("0:9999 routing_agent\n", "backend 'routing_agent' is not be_<version>"),
        ("0:9999 be_V1\n", "backend 'be_V1' is not be_<version>"),
        ("0:9999 be_-v1\n", "backend 'be_-v1' is not be_<version>"),
        ("0:9999 be_v1;clear\n", "backend 'be_v1;clear' is not be_<version>"),
        ("0:9999 be_v1#x\n", "backend 'be_v1#x' is not be_<version>"),
        (f"0:9999 be_{'a' * 32}\n", "is not be_<version>"),
    ],
)
def test_a_table_that_is_not_exactly_one_backend_per_bucket_is_refused(text: str, problem: str) -> None:
    with pytest.raises(RoutingTableError) as error:
        parse_split_map(text)
    assert problem in str(error.value)


@pytest.mark.parametrize(
    ("text", "revision"), [("0", 0), ("1\n", 1), ("123456789012345678\n", 123456789012345678)]
)
def test_a_revision_is_one_non_negative_integer(text: str, revision: int) -> None:
    assert parse_revision(text) == revision


@pytest.mark.parametrize("text", ["", "\n", "-1", "01", "1.0", "1\n\n", " 1", "1 2", "x", "1" * 19])
def test_anything_else_is_not_a_revision(text: str) -> None:
    with pytest.raises(RoutingTableError, match="is not a non-negative integer"):
        parse_revision(text)
