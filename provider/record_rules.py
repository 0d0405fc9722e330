"""The endpoint record: the seed's `update()` fields, and the rule that properties are add-only.

The seed: properties "cannot be changed after deployment, however new key value pairs can be
added". Pulumi state is what remembers them, so the rule lives in a provider's `check`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from provider.problems import Problem
from provider.spec_fields import endpoint_field

__all__ = ["RECORD_FIELDS", "EndpointRecordInputs", "property_problems"]

RECORD_FIELDS = (
    "auth_enabled",
    "token_auth_enabled",
    "enable_app_insights",
    "description",
    "tags",
    "properties",
)


class EndpointRecordInputs(BaseModel):
    """The fields of the seed's `AksEndpoint.update()`, declared as in the endpoint spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth_enabled: bool = endpoint_field("auth_enabled")
    token_auth_enabled: bool = endpoint_field("token_auth_enabled")
    enable_app_insights: bool = endpoint_field("enable_app_insights")
    description: str = endpoint_field("description")
    tags: dict[str, str] = endpoint_field("tags")
    properties: dict[str, str] = endpoint_field("properties")


def property_problems(old: dict[str, str], new: dict[str, str]) -> list[Problem]:
    """A `Problem` per existing property that was changed or removed; new keys are fine."""
    problems = []
    for key, value in sorted(old.items()):
        if key not in new:
            problems.append(
                Problem(
                    f"properties.{key}",
                    f"property {key!r} cannot be removed: properties are add-only after "
                    f"deployment; keep {key}: {value!r} (new keys may be added)",
                )
            )
        elif new[key] != value:
            problems.append(
                Problem(
                    f"properties.{key}",
                    f"property {key!r} cannot be changed from {value!r} to {new[key]!r}: "
                    "properties are add-only after deployment; add a new key instead",
                )
            )
    return problems
