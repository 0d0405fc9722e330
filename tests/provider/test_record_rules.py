"""The endpoint record's fields and its add-only properties, without Pulumi."""

from __future__ import annotations

from provider.record_rules import RECORD_FIELDS, EndpointRecordInputs, property_problems
from tests.specs import endpoint, version


def test_defaults_are_the_endpoint_specs() -> None:
    spec = endpoint(version())
    assert EndpointRecordInputs() == EndpointRecordInputs(
        **{name: getattr(spec, name) for name in RECORD_FIELDS}
    )
    assert EndpointRecordInputs().auth_enabled is True
    assert EndpointRecordInputs().token_auth_enabled is False


def test_adding_a_property_is_fine() -> None:
    assert property_problems({"team": "ml"}, {"team": "ml", "cost-center": "42"}) == []


def test_changing_a_property_names_the_key() -> None:
    (problem,) = property_problems({"team": "ml", "tier": "gold"}, {"team": "research", "tier": "gold"})
    assert problem.property == "properties.team"
    assert "'team' cannot be changed from 'ml' to 'research'" in problem.reason


def test_removing_a_property_names_the_key() -> None:
    (problem,) = property_problems({"team": "ml"}, {})
    assert problem.property == "properties.team"
    assert "cannot be removed" in problem.reason and "keep team: 'ml'" in problem.reason
