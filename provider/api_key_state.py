"""An endpoint's API key pair: how keys are made and hashed, and which one a rotation replaces.

Two keys so that one can be replaced while clients use the other (the seed's `regen_key`): raising
`primary_key_rotation` regenerates the primary key only, and the secondary key keeps working.
The router holds only SHA-256 hashes, never a key.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from provider.problems import Problem
from provider.rotation import lowered_counter_problem
from provider.spec_fields import endpoint_field

__all__ = [
    "API_KEY_BYTES",
    "KEY_OUTPUTS",
    "ApiKeysInputs",
    "new_api_key",
    "api_key_sha256",
    "api_key_outputs",
    "rotation_problems",
]

API_KEY_BYTES = 32  # 256 bits from the OS's CSPRNG
KEY_OUTPUTS = {"primary_key_rotation": "primary_key", "secondary_key_rotation": "secondary_key"}


class ApiKeysInputs(BaseModel):
    """The rotation counters of the two keys (the endpoint spec's fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary_key_rotation: int = endpoint_field("primary_key_rotation")
    secondary_key_rotation: int = endpoint_field("secondary_key_rotation")


def new_api_key() -> str:
    """A fresh key: 256 random bits, URL-safe base64 (43 characters, usable in a header as is)."""
    return secrets.token_urlsafe(API_KEY_BYTES)


def api_key_sha256(key: str) -> str:
    """The lowercase hex SHA-256 of the key's UTF-8 bytes: what the router compares against."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def rotation_problems(old: ApiKeysInputs, new: ApiKeysInputs) -> list[Problem]:
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
