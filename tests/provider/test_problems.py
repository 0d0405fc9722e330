"""Pydantic errors become Problems that name the input property."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provider.problems import Problem, problems_from_validation_error
from specification.names import ResourceName


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shares: dict[ResourceName, float] = Field(default_factory=dict)
    count: int = 0


def _problems(**data: object) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        _Inputs.model_validate(data)
    return problems_from_validation_error(caught.value)


def test_a_bad_mapping_key_is_named_by_its_path() -> None:
    (problem,) = _problems(shares={"Bad_Name": 1.0})
    assert problem.property == "shares.Bad_Name"
    assert "not a valid name" in problem.reason


def test_a_type_error_shows_the_value() -> None:
    (problem,) = _problems(count=1.5)
    assert problem.property == "count"
    assert "(got 1.5)" in problem.reason


def test_an_unknown_input_is_named() -> None:
    (problem,) = _problems(extra=1)
    assert problem == Problem("extra", "unknown input; remove it")
