"""`contains_unknown` finds values Pulumi does not know yet, however deeply nested."""

from __future__ import annotations

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from provider.unknowns import contains_unknown


def test_known_values() -> None:
    assert not contains_unknown({"shares": {"a": 90.0}, "tags": [], "description": ""})


def test_unknown_objects_and_the_wire_sentinel_anywhere() -> None:
    assert contains_unknown(Unknown())
    assert contains_unknown({"shares": {"a": Unknown()}})
    assert contains_unknown({"list": [1, {"x": UNKNOWN}]})
    assert contains_unknown(UNKNOWN)
