"""The traffic split of one endpoint: its inputs, the rules a change must follow, the routing table.

Inputs are keyed by version name (`shares: {versiona: 90, versionb: 10}`) so the engine's own
input diff reads `~ shares: { ~ versionb: 10 => 40 }` in `pulumi preview`. The table math is the
spec's (`effective_steps`: remainder to the default, integer 0.01% steps); this module adds what
needs the previous state: traffic must drain from a version before it is removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from provider.problems import Problem
from specification.endpoint import EndpointSpec
from specification.names import ResourceName
from specification.traffic import effective_steps
from specification.version import TRAFFIC_STEPS_PER_PERCENT, Percentile

__all__ = [
    "TrafficSplitInputs",
    "Routing",
    "routing",
    "split_problems",
    "removal_problems",
    "routing_changed",
]


class TrafficSplitInputs(BaseModel):
    """Each version's `traffic_percentile`, the default version and the A/B control."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shares: dict[ResourceName, Percentile] = Field(
        min_length=1,
        description="`{version: traffic_percentile}` for every version behind the endpoint.",
    )
    default_version: ResourceName = Field(
        description="The version that receives the traffic no version claims."
    )
    control_version: ResourceName | None = Field(
        default=None, description="The A/B control; every other version is a treatment."
    )

    @classmethod
    def from_endpoint(cls, spec: EndpointSpec) -> TrafficSplitInputs:
        """The split an endpoint spec declares."""
        return cls(
            shares={version.name: version.traffic_percentile for version in spec.versions},
            default_version=spec.default_version,
            control_version=spec.control_version,
        )


@dataclass(frozen=True)
class Routing:
    """What the router does with a split: each version's effective share and its A/B role."""

    steps: dict[str, int]  # effective share in 0.01% steps; sums to exactly 10000
    default_version: str
    control_version: str | None

    @property
    def traffic(self) -> dict[str, float]:
        """`{version: percent}` summing to 100."""
        return {name: step / TRAFFIC_STEPS_PER_PERCENT for name, step in self.steps.items()}

    @property
    def treatments(self) -> list[str]:
        """Every version but the control, sorted."""
        return sorted(name for name in self.steps if name != self.control_version)


def split_problems(inputs: TrafficSplitInputs) -> list[Problem]:
    """The seed's rules across versions: a known default and control, shares summing to <= 100."""
    problems = []
    known = ", ".join(sorted(inputs.shares))
    if inputs.default_version not in inputs.shares:
        problems.append(
            Problem(
                "default_version",
                f"default version {inputs.default_version!r} is not one of the versions ({known})",
            )
        )
    if inputs.control_version is not None and inputs.control_version not in inputs.shares:
        problems.append(
            Problem(
                "control_version",
                f"control version {inputs.control_version!r} is not one of the versions ({known})",
            )
        )
    # The sum rule is the spec's own (effective_steps raises); when the default is not a version,
    # any version anchors the call, since only the sum matters here.
    anchor = inputs.default_version
    if anchor not in inputs.shares:
        anchor = next(iter(inputs.shares))
    try:
        effective_steps(inputs.shares, anchor)
    except ValueError as error:
        listed = ", ".join(f"{name}={share:g}" for name, share in inputs.shares.items())
        problems.append(Problem("shares", f"{error} ({listed}); lower some shares"))
    return problems


def routing(inputs: TrafficSplitInputs) -> Routing:
    """The effective table of a valid split (raises ValueError for an invalid one)."""
    return Routing(
        steps=effective_steps(inputs.shares, inputs.default_version),
        default_version=inputs.default_version,
        control_version=inputs.control_version,
    )


def removal_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """Versions may leave only once drained: not while default, not while they take traffic."""
    problems = []
    old_steps = routing(old).steps
    for name in sorted(set(old.shares) - set(new.shares)):
        if name == old.default_version:
            problems.append(
                Problem(
                    "shares",
                    f"version {name!r} cannot be removed while it is the default version: make "
                    "another version the default (default_version) and apply that first",
                )
            )
        elif old_steps[name] > 0:
            problems.append(
                Problem(
                    "shares",
                    f"version {name!r} cannot be removed while it takes "
                    f"{old_steps[name] / TRAFFIC_STEPS_PER_PERCENT:g}% of the traffic: set its "
                    "traffic_percentile to 0 and apply that first, so its traffic drains",
                )
            )
    return problems


def routing_changed(old: TrafficSplitInputs, new: TrafficSplitInputs) -> bool:
    """Whether the router would route differently: another effective share, default or control.

    Rewording the same table (raising the default's own share when it gets the remainder anyway)
    is no change.
    """
    return routing(old) != routing(new)
