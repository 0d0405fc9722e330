"""Tests for specification.retention and the endpoint's retain fields: the seed's default, what
is retained, and every refusal with its field path."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from specification.endpoint import EndpointSpec
from specification.errors import format_validation_error


def _endpoint(**fields: Any) -> EndpointSpec:
    return EndpointSpec.model_validate({"name": "ep", "versions": [{"name": "v1", "image": "i"}], **fields})


def _excluded(*kinds: str) -> list[dict[str, str]]:
    return [{"variant_property_type": kind} for kind in kinds]


def _problem(**fields: Any) -> str:
    with pytest.raises(ValidationError) as error:
        _endpoint(**fields)
    (line,) = format_validation_error(error.value).splitlines()
    return line


def test_nothing_is_retained_by_default_as_in_the_seed() -> None:
    spec = _endpoint()
    assert spec.retain_all_variant_properties is False
    assert spec.retained_properties == ()
    assert not spec.retains_weights and not spec.retains_instance_counts


@pytest.mark.parametrize(
    ("excluded", "retained"),
    [
        ((), ("DesiredInstanceCount", "DesiredWeight")),
        (("DesiredWeight",), ("DesiredInstanceCount",)),
        (("DesiredInstanceCount",), ("DesiredWeight",)),
        (("DesiredWeight", "DesiredInstanceCount"), ()),
    ],
)
def test_retain_all_but_the_excluded(excluded: tuple[str, ...], retained: tuple[str, ...]) -> None:
    spec = _endpoint(
        retain_all_variant_properties=True, exclude_retained_variant_properties=_excluded(*excluded)
    )
    assert spec.retained_properties == retained
    assert spec.retains_weights == ("DesiredWeight" in retained)
    assert spec.retains_instance_counts == ("DesiredInstanceCount" in retained)


def test_data_capture_is_refused() -> None:
    problem = _problem(
        retain_all_variant_properties=True,
        exclude_retained_variant_properties=_excluded("DesiredWeight", "DataCaptureConfig"),
    )
    assert problem.startswith(
        "exclude_retained_variant_properties[1].variant_property_type: DataCaptureConfig is not "
        "supported (the seed: not currently supported)"
    )


def test_exclusions_without_retention_are_refused() -> None:
    problem = _problem(exclude_retained_variant_properties=_excluded("DesiredWeight"))
    assert problem.startswith(
        "exclude_retained_variant_properties: only applies with retain_all_variant_properties: true"
    )


def test_a_property_is_excluded_once() -> None:
    problem = _problem(
        retain_all_variant_properties=True,
        exclude_retained_variant_properties=_excluded("DesiredWeight", "DesiredWeight"),
    )
    assert problem == "exclude_retained_variant_properties: each property once; repeated: DesiredWeight"


def test_unknown_property_types_are_refused() -> None:
    problem = _problem(
        retain_all_variant_properties=True, exclude_retained_variant_properties=_excluded("Weight")
    )
    assert problem.startswith("exclude_retained_variant_properties[0].variant_property_type: Input should be")
