"""The ApiKeys resource's rules: its inputs, which key a rotation replaces, and its outputs.

Two keys so that one can be replaced while clients use the other (the seed's `regen_key`): raising
`primary_key_rotation` regenerates the primary key only, and the secondary key keeps working.
The router holds only SHA-256 hashes, never a key. How a key is made and hashed is
`credentials.api_keys`; this module decides when, from the provider's old and new state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from credentials.api_keys import api_key_sha256, new_api_key
from provider.problems import Problem
from provider.rotation import lowered_counter_problem
from provider.spec_fields import endpoint_field

__all__ = [
    "KEY_OUTPUTS",
    "ApiKeysInputs",
    "api_key_outputs",
    "rotation_problems",
]

KEY_OUTPUTS = {"primary_key_rotation": "primary_key", "secondary_key_rotation": "secondary_key"}


class ApiKeysInputs(BaseModel):
    """The rotation counters of the two keys (the endpoint spec's fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary_key_rotation: int = endpoint_field("primary_key_rotation")
    secondary_key_rotation: int = endpoint_field("secondary_key_rotation")


def rotation_problems(old: ApiKeysInputs, new: ApiKeysInputs) -> list[Problem]:
    """A problem for each counter that went down (a key cannot be un-rotated)."""
    problems = [
        lowered_counter_problem(counter, getattr(old, counter), getattr(new, counter))
        for counter in KEY_OUTPUTS
    ]
    return [problem for problem in problems if problem is not None]


def api_key_outputs(
    new: ApiKeysInputs, old: ApiKeysInputs | None, old_outputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The counters, both keys and their hashes. A key is kept from `old_outputs` unless its
    counter changed (or it is missing); on create (`old` None) both are new."""
    outputs: dict[str, Any] = new.model_dump(mode="json")
    for counter, key_name in KEY_OUTPUTS.items():
        previous = old_outputs.get(key_name)
        keep = (
            old is not None
            and getattr(old, counter) == getattr(new, counter)
            and isinstance(previous, str)
            and previous
        )
        key = previous if keep and isinstance(previous, str) else new_api_key()
        outputs[key_name] = key
        outputs[f"{key_name}_sha256"] = api_key_sha256(key)
    return outputs
