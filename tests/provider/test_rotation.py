"""Rotation counters only go up."""

from __future__ import annotations

from provider.rotation import lowered_counter_problem


def test_same_or_higher_is_fine() -> None:
    assert lowered_counter_problem("primary_key_rotation", 1, 1) is None
    assert lowered_counter_problem("primary_key_rotation", 1, 2) is None


def test_lowering_names_the_counter_and_the_values_to_use() -> None:
    problem = lowered_counter_problem("primary_key_rotation", 2, 1)
    assert problem is not None
    assert problem.property == "primary_key_rotation"
    assert "from 2 to 1" in problem.reason and "keep 2" in problem.reason and "set 3" in problem.reason
