"""The ApiKeys resource: an endpoint's primary and secondary keys, kept only as secret outputs.

`pulumi preview` shows a rotation as `~ secondary_key_rotation: 0 => 1`; the update regenerates
that key only. The keys are marked secret (`additional_secret_outputs`), so Pulumi encrypts them in
state; their hashes are plain outputs for the router.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from provider.api_key_rules import ApiKeysInputs, api_key_outputs, rotation_problems
from provider.lifecycle import InputsProvider
from provider.problems import Problem
from specification.endpoint import EndpointSpec

__all__ = ["ApiKeys", "ApiKeysArgs", "ApiKeysProvider", "API_KEY_SECRET_OUTPUTS"]

API_KEY_SECRET_OUTPUTS = ["primary_key", "secondary_key"]


class ApiKeysProvider(InputsProvider[ApiKeysInputs]):
    """Generates the keys on create and regenerates the one whose counter was raised."""

    inputs_model = ApiKeysInputs

    def transition_problems(self, old: ApiKeysInputs, new: ApiKeysInputs) -> list[Problem]:
        return rotation_problems(old, new)

    def outputs(
        self, new: ApiKeysInputs, old: ApiKeysInputs | None, old_outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        return api_key_outputs(new, old, old_outputs)


@dataclass(frozen=True)
class ApiKeysArgs:
    """Inputs of ApiKeys: raise a counter by one to regenerate that key."""

    primary_key_rotation: pulumi.Input[int] = 0
    secondary_key_rotation: pulumi.Input[int] = 0

    @classmethod
    def from_endpoint(cls, spec: EndpointSpec) -> ApiKeysArgs:
        return cls(spec.primary_key_rotation, spec.secondary_key_rotation)


class ApiKeys(pulumi.dynamic.Resource, module="model-endpoints", name="ApiKeys"):
    """An endpoint's API keys (the seed's `get_keys` / `regen_key`).

    Outputs: `primary_key`, `secondary_key` (secret; 256-bit URL-safe strings),
    `primary_key_sha256`, `secondary_key_sha256` (plain lowercase hex, for the router), and the
    two counters as given.
    """

    primary_key_rotation: pulumi.Output[int]
    secondary_key_rotation: pulumi.Output[int]
    primary_key: pulumi.Output[str]
    secondary_key: pulumi.Output[str]
    primary_key_sha256: pulumi.Output[str]
    secondary_key_sha256: pulumi.Output[str]

    def __init__(
        self, name: str, args: ApiKeysArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = args or ApiKeysArgs()
        props: dict[str, Any] = {
            "primary_key_rotation": args.primary_key_rotation,
            "secondary_key_rotation": args.secondary_key_rotation,
            "primary_key": None,
            "secondary_key": None,
            "primary_key_sha256": None,
            "secondary_key_sha256": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=API_KEY_SECRET_OUTPUTS)
        opts = pulumi.ResourceOptions.merge(opts, secret)
        super().__init__(ApiKeysProvider(), name, props, opts)
