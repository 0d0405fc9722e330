"""An endpoint's routing table: the one value every place that computes or moves traffic passes on.

The seed's traffic math (each version takes its `traffic_percentile`, the default version takes
what no version claims, one control, the rest treatments) is done here once, in integer 0.01%
steps so sums are exact: 33.33 + 33.33 + 33.34 is 100, not 99.99999. Every rule on a table is
checked here and nowhere else: a share's step and range, the sum, a known default and control,
and that a table names exactly an endpoint's versions. The spec's `effective_traffic()`, the
TrafficSplit's outputs, the router renderer and local mode all take a `RoutingTable`; a guarded
rollout moves one step by step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "STEPS_PER_PERCENT",
    "TOTAL_STEPS",
    "Role",
    "RoutingError",
    "RoutingTable",
    "default_move_reason",
    "joining_reason",
    "removal_reason",
    "routing_table",
    "share_steps",
]

# Traffic is routed in 0.01% steps: the router draws rand(10000).
STEPS_PER_PERCENT = 100
TOTAL_STEPS = 100 * STEPS_PER_PERCENT

Role = Literal["control", "treatment"]
RoutingField = Literal["shares", "default_version", "control_version"]


class RoutingError(ValueError):
    """A table that breaks a routing rule. `problems` holds `(field, message)` pairs, the field
    being `shares`, `default_version` or `control_version`, so callers can name their own."""

    def __init__(self, problems: Iterable[tuple[RoutingField, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(message for _, message in self.problems))


def share_steps(percent: object) -> int:
    """A share in percent as 0.01% steps. Raises ValueError unless it is a finite number from 0
    to 100 in 0.01 steps (`10.005` is finer than the router can split)."""
    if isinstance(percent, bool) or not isinstance(percent, (int, float)):
        raise ValueError(f"{percent!r} is not a number of percent")
    if not math.isfinite(percent) or not 0 <= percent <= 100:
        raise ValueError(f"{percent:g} is outside 0-100")
    steps = percent * STEPS_PER_PERCENT
    if abs(steps - round(steps)) > 1e-6:
        raise ValueError(f"{percent} has more precision than the router's 0.01% step")
    return round(steps)


def _percent(steps: int) -> float:
    return steps / STEPS_PER_PERCENT


@dataclass(frozen=True)
class RoutingTable:
    """Where an endpoint's requests go: each version's effective share in 0.01% steps (summing to
    exactly `TOTAL_STEPS`, versions in name order), the default version (it took the remainder,
    and unmatched buckets fall to it) and the A/B control (every other version is a treatment).

    Build one with `routing_table` from configured shares, or with `from_steps` from an
    effective table (a TrafficSplit's outputs, a rollout's intermediate step); both check every
    rule and raise `RoutingError`.
    """

    steps: Mapping[str, int]
    default_version: str
    control_version: str | None = None

    def __post_init__(self) -> None:
        problems: list[tuple[RoutingField, str]] = []
        steps: dict[str, int] = {}
        for name in sorted(self.steps):
            value = self.steps[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= TOTAL_STEPS:
                problems.append(
                    ("shares", f"{name}: {value!r} is not a whole number of 0.01% steps in 0-{TOTAL_STEPS}")
                )
            else:
                steps[name] = value
        object.__setattr__(self, "steps", steps)
        if not self.steps:
            problems.append(("shares", "a routing table needs at least one version"))
        problems += _membership_problems(list(self.steps), self.default_version, self.control_version)
        total = sum(steps.values())
        if not problems and total != TOTAL_STEPS:
            problems.append(
                ("shares", f"effective shares sum to {_percent(total):g}%, not 100% ({self._listed()})")
            )
        if problems:
            raise RoutingError(problems)

    @classmethod
    def from_steps(
        cls, steps: Mapping[str, float], default_version: str, control_version: str | None = None
    ) -> RoutingTable:
        """An effective table given in steps that may have crossed a wire as floats (`9000.0`)."""
        whole: dict[str, int] = {}
        for name, value in steps.items():
            number = value
            if isinstance(value, float) and value.is_integer():
                number = int(value)
            whole[name] = number  # type: ignore[assignment]  # checked in __post_init__
        return cls(whole, default_version, control_version)

    @property
    def versions(self) -> tuple[str, ...]:
        """The versions the table routes to, in name order."""
        return tuple(self.steps)

    @property
    def traffic(self) -> dict[str, float]:
        """`{version: percent}` summing to 100."""
        return {name: _percent(step) for name, step in self.steps.items()}

    @property
    def treatments(self) -> list[str]:
        """Every version but the control, sorted."""
        return [name for name in self.steps if name != self.control_version]

    def role(self, version: str) -> Role:
        """The A/B role the router reports for `version`."""
        if version not in self.steps:
            raise KeyError(version)
        return "control" if version == self.control_version else "treatment"

    def check_versions(self, versions: Iterable[str]) -> None:
        """Raise RoutingError unless the table names exactly `versions` (an endpoint's)."""
        expected = list(versions)
        missing = [name for name in expected if name not in self.steps]
        unknown = sorted(set(self.steps) - set(expected))
        if missing or unknown:
            raise RoutingError(
                [
                    (
                        "shares",
                        "the routing table must name exactly the endpoint's versions "
                        f"({', '.join(expected)}); missing: {', '.join(missing) or '-'}; "
                        f"unknown: {', '.join(unknown) or '-'}",
                    )
                ]
            )

    def _listed(self) -> str:
        return ", ".join(f"{name}={_percent(step):g}" for name, step in self.steps.items())


def _membership_problems(
    versions: list[str], default_version: str, control_version: str | None
) -> list[tuple[RoutingField, str]]:
    problems: list[tuple[RoutingField, str]] = []
    known = ", ".join(sorted(versions))
    if default_version not in versions:
        problems.append(
            ("default_version", f"default version {default_version!r} is not one of the versions ({known})")
        )
    if control_version is not None and control_version not in versions:
        problems.append(
            ("control_version", f"control version {control_version!r} is not one of the versions ({known})")
        )
    return problems


def routing_table(
    shares: Mapping[str, float], default_version: str, control_version: str | None = None
) -> RoutingTable:
    """The effective table of configured shares (`{version: traffic_percentile}`): each version
    keeps its share, the default version also takes what no version claims.

    Raises RoutingError naming every broken rule: a share off the 0.01% step or outside 0-100,
    shares summing to more than 100, a default or control that is not one of the versions."""
    problems: list[tuple[RoutingField, str]] = []
    steps: dict[str, int] = {}
    for name, percent in shares.items():
        try:
            steps[name] = share_steps(percent)
        except ValueError as error:
            problems.append(("shares", f"{name}: {error}"))
    problems += _membership_problems(list(shares), default_version, control_version)
    assigned = sum(steps.values())
    if len(steps) == len(shares) and assigned > TOTAL_STEPS:
        listed = ", ".join(f"{name}={percent:g}" for name, percent in shares.items())
        problems.append(
            (
                "shares",
                f"traffic_percentile values sum to {_percent(assigned):g}, more than 100 ({listed})",
            )
        )
    if problems:
        raise RoutingError(problems)
    steps[default_version] += TOTAL_STEPS - assigned
    return RoutingTable(steps, default_version, control_version)


def default_move_reason(
    old_default: str, new_default: str, new_versions: Iterable[str], is_default_set: bool
) -> str | None:
    """Why a change may not move the default version, or None when it may.

    The default stays where it was created: only a version setting `is_default` moves it. Without
    the flag the spec takes the first listed version, so reordering the versions would silently
    send the remainder elsewhere; the seed keeps the first version created as the default until
    `is_default` moves it. (A default that leaves the versions is the removal rules' business.)
    The TrafficSplit (`pulumi preview`) and `local apply` both apply this rule."""
    if is_default_set or old_default == new_default or old_default not in set(new_versions):
        return None
    return (
        f"the default version would move from {old_default!r} to {new_default!r} only because "
        f"{new_default!r} is now listed first, and no version sets is_default: the default stays "
        f"where it was created. Set is_default: true on {new_default!r} to make it the default, "
        f"or on {old_default!r} (or list it first again) to keep it"
    )


def removal_reason(version: str, old: RoutingTable) -> str | None:
    """Why `version` may not leave an endpoint whose live table is `old`, or None when it may.

    A version leaves only once drained: not while it is the default, not while it takes traffic.
    The TrafficSplit (`pulumi preview`) and the review both apply this rule."""
    if version == old.default_version:
        return (
            f"version {version!r} cannot be removed while it is the default version: make "
            "another version the default (set is_default on it) and apply that first"
        )
    steps = old.steps.get(version, 0)
    if steps > 0:
        return (
            f"version {version!r} cannot be removed while it takes "
            f"{steps / STEPS_PER_PERCENT:g}% of the traffic: set its traffic_percentile to 0 and "
            "apply that first, so its traffic drains"
        )
    return None


def joining_reason(version: str, new: RoutingTable) -> str | None:
    """Why `version`, new to the endpoint, may not take its share of `new` at once, or None.

    The live routers learn a version only once the change that adds it is applied, so a version
    joins at 0% and takes traffic in a later change (the TrafficSplit with live routing, and the
    review, apply this rule)."""
    steps = new.steps.get(version, 0)
    if not steps:
        return None
    return (
        f"version {version!r} is new and would take {steps / STEPS_PER_PERCENT:g}% of the "
        "traffic at once, but the endpoint's routers learn a version only once this change "
        "is applied: add it at 0% first (traffic_percentile 0, not the default) and apply "
        "that, then raise its share in a later change, which the deployment_config's "
        "steps then walk"
    )
