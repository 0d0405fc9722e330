"""The traffic split of one endpoint: its inputs, and the rules a change must follow.

Inputs are keyed by version name (`shares: {versiona: 90, versionb: 10}`) so the engine's own
input diff reads `~ shares: { ~ versionb: 10 => 40 }` in `pulumi preview`. The table and its
rules are the spec's `routing_table` (remainder to the default, integer 0.01% steps, a known
default and control); this module adds only what needs the previous state: traffic drains from
a version before it is removed, and the default stays where it was unless `is_default` moves it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from provider.problems import Problem
from specification.endpoint import EndpointSpec
from specification.names import ResourceName
from specification.routing import (
    STEPS_PER_PERCENT,
    RoutingError,
    RoutingTable,
    routing_table,
)
from specification.version import Percentile

__all__ = [
    "TrafficSplitInputs",
    "default_move_problems",
    "routing",
    "split_problems",
    "removal_problems",
    "routing_changed",
    "transition_problems",
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
    is_default_set: bool = Field(
        default=False,
        description="Whether a version sets `is_default`; without it the default is the first "
        "listed version, and the split refuses to let a reorder move it.",
    )

    @classmethod
    def from_endpoint(cls, spec: EndpointSpec) -> TrafficSplitInputs:
        """The split an endpoint spec declares."""
        return cls(
            shares={version.name: version.traffic_percentile for version in spec.versions},
            default_version=spec.default_version,
            control_version=spec.control_version,
            is_default_set=spec.is_default_set,
        )


def routing(inputs: TrafficSplitInputs) -> RoutingTable:
    """The routing table of a valid split (raises RoutingError for an invalid one)."""
    return routing_table(inputs.shares, inputs.default_version, inputs.control_version)


def split_problems(inputs: TrafficSplitInputs) -> list[Problem]:
    """The routing table's rules, each as a problem of the input it is about."""
    try:
        routing(inputs)
    except RoutingError as error:
        return [
            Problem(field, f"{message}; lower some shares" if "more than 100" in message else message)
            for field, message in error.problems
        ]
    return []


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
                    "another version the default (set is_default on it) and apply that first",
                )
            )
        elif old_steps[name] > 0:
            problems.append(
                Problem(
                    "shares",
                    f"version {name!r} cannot be removed while it takes "
                    f"{old_steps[name] / STEPS_PER_PERCENT:g}% of the traffic: set its "
                    "traffic_percentile to 0 and apply that first, so its traffic drains",
                )
            )
    return problems


def default_move_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """The default stays where it was created: only a version setting `is_default` moves it.

    Without the flag the spec takes the first listed version, so reordering the versions in a
    pull request would silently send the remainder elsewhere; the seed keeps the first version
    created as the default until `is_default` moves it. (Removing the old default is refused by
    `removal_problems`.)"""
    if new.is_default_set or old.default_version == new.default_version:
        return []
    if old.default_version not in new.shares:
        return []
    return [
        Problem(
            "default_version",
            f"the default version would move from {old.default_version!r} to "
            f"{new.default_version!r} only because {new.default_version!r} is now listed first, "
            "and no version sets is_default: the default stays where it was created. Set "
            f"is_default: true on {new.default_version!r} to make it the default, or on "
            f"{old.default_version!r} (or list it first again) to keep it",
        )
    ]


def transition_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """Every rule that compares a split with the one before it."""
    return removal_problems(old, new) + default_move_problems(old, new)


def routing_changed(old: TrafficSplitInputs, new: TrafficSplitInputs) -> bool:
    """Whether the router would route differently: another effective share, default or control.

    Rewording the same table (raising the default's own share when it gets the remainder anyway)
    is no change.
    """
    return routing(old) != routing(new)
