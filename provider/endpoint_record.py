"""The EndpointRecord resource: an endpoint's settings and metadata, with add-only properties.

Holds the seed's `update()` fields in Pulumi state so that changing or removing a deployed
property fails `pulumi preview`, naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from provider.lifecycle import InputsProvider
from provider.problems import Problem
from provider.record_rules import RECORD_FIELDS, EndpointRecordInputs, property_problems
from specification.endpoint import EndpointSpec

__all__ = ["EndpointRecord", "EndpointRecordArgs", "EndpointRecordProvider"]


class EndpointRecordProvider(InputsProvider[EndpointRecordInputs]):
    """Records the fields; rejects a change to an existing property."""

    inputs_model = EndpointRecordInputs

    def transition_problems(
        self, old: EndpointRecordInputs, new: EndpointRecordInputs
    ) -> list[Problem]:
        return property_problems(old.properties, new.properties)

    def outputs(
        self,
        new: EndpointRecordInputs,
        old: EndpointRecordInputs | None,
        old_outputs: Mapping[str, Any],
    ) -> dict[str, Any]:
        return self.dump(new)


@dataclass(frozen=True)
class EndpointRecordArgs:
    """Inputs of EndpointRecord; `None` takes the endpoint spec's default."""

    auth_enabled: pulumi.Input[bool] | None = None
    token_auth_enabled: pulumi.Input[bool] | None = None
    enable_app_insights: pulumi.Input[bool] | None = None
    description: pulumi.Input[str] | None = None
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    properties: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None

    @classmethod
    def from_endpoint(cls, spec: EndpointSpec) -> EndpointRecordArgs:
        return cls(**{name: getattr(spec, name) for name in RECORD_FIELDS})


class EndpointRecord(pulumi.dynamic.Resource, module="model-endpoints", name="EndpointRecord"):
    """An endpoint's `update()` fields. Outputs: the six fields, defaults filled in."""

    auth_enabled: pulumi.Output[bool]
    token_auth_enabled: pulumi.Output[bool]
    enable_app_insights: pulumi.Output[bool]
    description: pulumi.Output[str]
    tags: pulumi.Output[dict[str, str]]
    properties: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        args: EndpointRecordArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or EndpointRecordArgs()
        props: dict[str, Any] = {name_: getattr(args, name_) for name_ in RECORD_FIELDS}
        super().__init__(EndpointRecordProvider(), name, props, opts)
