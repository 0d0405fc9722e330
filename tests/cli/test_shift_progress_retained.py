"""What `local apply` prints for an endpoint whose routers keep their table: unchanged, or kept
because weights are retained (with the declared table that was not applied, and the way out)."""

from __future__ import annotations

from rich.console import Console

from cli.shift_progress import ShiftProgressView
from local_runtime.apply_events import EndpointUnchanged
from specification.routing import RoutingTable

LIVE = RoutingTable({"va": 9000, "vb": 1000}, "va")
DECLARED = RoutingTable({"va": 5000, "vb": 5000}, "va")


def _printed(event: EndpointUnchanged) -> str:
    console = Console(record=True, width=400, force_terminal=False)
    with ShiftProgressView(console) as view:
        view("shop", event)
    return console.export_text()


def test_an_unchanged_table_says_so() -> None:
    text = _printed(EndpointUnchanged(LIVE, 3))
    assert "endpoint shop: no traffic change; every router already serves" in text


def test_a_retained_table_names_the_declared_one_and_the_way_out() -> None:
    text = _printed(EndpointUnchanged(LIVE, 3, DECLARED))
    assert "endpoint shop: weights are retained (retain_all_variant_properties)" in text
    assert "(revision 3) instead of the declared" in text
    assert "{variant_property_type: DesiredWeight} to exclude_retained_variant_properties" in text
