"""Rotation counters only go up; the reason names the counter, both values and the way out."""

from __future__ import annotations

from specification.endpoint import EndpointSpec
from specification.rotation import ROTATION_COUNTERS, lowered_counter_reason


def test_raising_or_keeping_a_counter_is_fine_and_lowering_it_is_not() -> None:
    assert lowered_counter_reason("primary_key_rotation", 1, 2) is None
    assert lowered_counter_reason("primary_key_rotation", 1, 1) is None
    assert lowered_counter_reason("primary_key_rotation", 2, 1) == (
        "primary_key_rotation went down from 2 to 1; rotation counters only go up (lowering one "
        "would regenerate the credential, not restore the old one): keep 2, or set 3 to rotate again"
    )


def test_the_counters_are_endpoint_fields() -> None:
    assert set(ROTATION_COUNTERS) <= set(EndpointSpec.model_fields)
