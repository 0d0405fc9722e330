"""The TrafficSplit resource: one per endpoint, the source of the weights the router runs with.

`pulumi preview` shows a change of shares as `~ shares: { ~ versionb: 10 => 40 }`; a split that
breaks the seed's rules, or removes a version that still takes traffic, fails at preview.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from provider.lifecycle import InputsProvider
from provider.problems import Problem
from provider.split_rules import (
    TrafficSplitInputs,
    routing,
    routing_changed,
    split_problems,
    transition_problems,
)
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = ["TrafficSplit", "TrafficSplitArgs", "TrafficSplitProvider"]


class TrafficSplitProvider(InputsProvider[TrafficSplitInputs]):
    """Validates splits and computes the effective table; `revision` counts routing changes."""

    inputs_model = TrafficSplitInputs

    def input_problems(self, new: TrafficSplitInputs) -> list[Problem]:
        return split_problems(new)

    def transition_problems(
        self, old: TrafficSplitInputs, new: TrafficSplitInputs
    ) -> list[Problem]:
        return transition_problems(old, new)

    def changed(self, old: TrafficSplitInputs, new: TrafficSplitInputs) -> bool:
        return routing_changed(old, new)

    def outputs(
        self,
        new: TrafficSplitInputs,
        old: TrafficSplitInputs | None,
        old_outputs: Mapping[str, Any],
    ) -> dict[str, Any]:
        table = routing(new)
        revision = int(old_outputs.get("revision", 0))
        if old is None or routing_changed(old, new):
            revision += 1
        return {
            **self.dump(new),
            "effective_traffic": table.traffic,
            "effective_steps": table.steps,
            "treatments": table.treatments,
            "revision": revision,
        }


@dataclass(frozen=True)
class TrafficSplitArgs:
    """Inputs of a TrafficSplit (each may be an Output)."""

    shares: pulumi.Input[Mapping[str, pulumi.Input[float]]]
    default_version: pulumi.Input[str]
    control_version: pulumi.Input[str] | None = None
    is_default_set: pulumi.Input[bool] = False

    @classmethod
    def from_endpoint(cls, spec: EndpointSpec) -> TrafficSplitArgs:
        inputs = TrafficSplitInputs.from_endpoint(spec)
        return cls(
            dict(inputs.shares), inputs.default_version, inputs.control_version, inputs.is_default_set
        )


class TrafficSplit(pulumi.dynamic.Resource, module="model-endpoints", name="TrafficSplit"):
    """The traffic split of one endpoint.

    Outputs: `shares`, `default_version`, `control_version`, `is_default_set` (as given),
    `treatments` (every
    version but the control), `effective_traffic` (`{version: percent}` summing to 100, the
    remainder to the default), `effective_steps` (the same in 0.01% steps, summing to 10000) and
    `revision` (1 on create, +1 on every change of routing or roles). Numbers cross the wire as
    floats: cast `effective_steps` and `revision` with `int()` before use.
    """

    shares: pulumi.Output[dict[str, float]]
    default_version: pulumi.Output[str]
    control_version: pulumi.Output[str | None]
    treatments: pulumi.Output[list[str]]
    effective_traffic: pulumi.Output[dict[str, float]]
    effective_steps: pulumi.Output[dict[str, int]]
    revision: pulumi.Output[int]

    def __init__(
        self, name: str, args: TrafficSplitArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "shares": args.shares,
            "default_version": args.default_version,
            "control_version": args.control_version,
            "is_default_set": args.is_default_set,
            "treatments": None,
            "effective_traffic": None,
            "effective_steps": None,
            "revision": None,
        }
        super().__init__(TrafficSplitProvider(), name, props, opts)

    def routing(self) -> pulumi.Output[RoutingTable]:
        """The routing table this split holds (what every router runs), from its outputs, which
        stacks deployed before `is_default_set` existed also have."""
        return pulumi.Output.all(self.effective_steps, self.default_version, self.control_version).apply(
            lambda values: RoutingTable.from_steps(values[0], values[1], values[2])
        )
