"""The review report's model: what a change does to each endpoint, as plain data.

Computed by pure functions (`review.stack_review`) from two stack configs, rendered apart
(`review.render_markdown`, `review.render_json`); nothing here reads a file or runs git.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from review.field_changes import FieldChange

__all__ = [
    "Change",
    "EndpointReview",
    "PlannedStepView",
    "PoolCapacity",
    "PoolChange",
    "ReviewReport",
    "StackReview",
    "TrafficRow",
    "VersionChange",
]

Change = Literal["added", "removed", "changed", "unchanged"]


@dataclass(frozen=True)
class VersionChange:
    """A version in both configs whose fields differ (only those listed), and what `up` does
    with its pods when a change reaches them (`review.version_updates`)."""

    name: str
    changes: tuple[FieldChange, ...]
    update: str | None = None


@dataclass(frozen=True)
class TrafficRow:
    """One version's share before and after (None: the version is not there), with its roles
    (`default`, `control`, `treatment`)."""

    version: str
    configured_before: float | None
    configured_after: float | None
    effective_before: float | None
    effective_after: float | None
    roles_before: tuple[str, ...]
    roles_after: tuple[str, ...]


@dataclass(frozen=True)
class PlannedStepView:
    """One planned step of the shift (`rollout.plan_steps`): the table from then on, how much of
    the change it has made, and the bake after it."""

    traffic: dict[str, float]
    percent_of_change: float
    wait_seconds: int


@dataclass(frozen=True)
class EndpointReview:
    """Everything a change does to one endpoint."""

    name: str
    change: Change
    versions_added: tuple[str, ...] = ()
    versions_removed: tuple[str, ...] = ()
    versions_changed: tuple[VersionChange, ...] = ()
    endpoint_changes: tuple[FieldChange, ...] = ()
    traffic: tuple[TrafficRow, ...] = ()
    default_before: str | None = None
    default_after: str | None = None
    control_before: str | None = None
    control_after: str | None = None
    moved_percent: float = 0.0
    shift_policy: str | None = None
    planned_steps: tuple[PlannedStepView, ...] = ()
    auth: tuple[str, ...] = ()
    topology: str = ""


@dataclass(frozen=True)
class PoolChange:
    """A node pool added, removed or changed (with the fields that changed)."""

    name: str
    change: Change
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class PoolCapacity:
    """Accelerators the versions on a pool may ask for at their most replicas, against what the
    pool has at its most nodes, before and after (None: no such pool then)."""

    pool: str
    sku: str
    resource: str
    asked_before: int | None
    asked_after: int | None
    capacity_before: int | None
    capacity_after: int | None
    asked_by: tuple[str, ...] = ()

    @property
    def over_capacity(self) -> bool:
        """Whether the versions may ask for more accelerators than the pool has after the change."""
        return (
            self.asked_after is not None
            and self.capacity_after is not None
            and self.asked_after > self.capacity_after
        )


@dataclass(frozen=True)
class StackReview:
    """One stack's config at the base ref against the working tree."""

    stack: str
    config_file: str
    base_note: str | None = None
    errors: tuple[str, ...] = ()
    endpoints: tuple[EndpointReview, ...] = ()
    pools: tuple[PoolChange, ...] = ()
    capacity: tuple[PoolCapacity, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the new config passes the preview's validation."""
        return not self.errors


@dataclass(frozen=True)
class ReviewReport:
    """The whole review: every stack asked for, against one base ref."""

    base_ref: str
    stacks: tuple[StackReview, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        """Whether every stack's new config passes the preview's validation."""
        return all(stack.valid for stack in self.stacks)
