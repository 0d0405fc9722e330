"""How a routing change is walked: seed 004's `DeploymentConfig` for traffic shifts, in snake_case.

A change of an endpoint's traffic can be moved in steps (CANARY, LINEAR) with a bake after each
and alarms that roll it back. The policy, its limits and the formulas both the spec and the
rollout planner need live here once: the cumulative share of the change each step reaches, and
the total wait a shift may take, which the execution timeout must exceed. The sizes are shares
of the change being made (from the current table to the new one), never instance counts.
The seed's other update policy, `rolling_update_policy` (a version's pods replaced in batches),
lives in `specification.rolling_update`; the seed allows one policy at a time, and so does this.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from specification.alarms import AutoRollbackConfiguration
from specification.rolling_update import RollingUpdatePolicy

__all__ = [
    "MAX_EXECUTION_TIMEOUT_SECONDS",
    "MAX_WAIT_SECONDS",
    "MIN_EXECUTION_TIMEOUT_SECONDS",
    "BlueGreenUpdatePolicy",
    "CanarySize",
    "CapacityType",
    "DeploymentConfig",
    "LinearStepSize",
    "ShiftType",
    "TrafficRoutingConfiguration",
    "total_wait_seconds",
]

# The seed's limits.
MAX_WAIT_SECONDS = 3600
MIN_EXECUTION_TIMEOUT_SECONDS = 600
MAX_EXECUTION_TIMEOUT_SECONDS = 28800

ShiftType = Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]
CapacityType = Literal["CAPACITY_PERCENT", "INSTANCE_COUNT"]

_INSTANCE_COUNT_REFUSED = (
    "INSTANCE_COUNT sizes (a number of the new pods of a version being replaced) are not "
    "supported yet: traffic shifts and blue/green replacements of a version both step by "
    "CAPACITY_PERCENT, a share of the traffic that moves"
)


def total_wait_seconds(
    step_count: int, wait_interval_in_seconds: int, termination_wait_in_seconds: int
) -> int:
    """The longest a shift of `step_count` steps bakes: every step's wait interval plus the
    termination wait after the last step; a shift with no step (no change) waits for nothing.
    The spec's timeout rule and the rollout planner both use this, so they cannot disagree."""
    if step_count <= 0:
        return 0
    return step_count * wait_interval_in_seconds + termination_wait_in_seconds


class _TrafficShiftSize(BaseModel):
    """A step size (the seed's `CapacitySize`) as a percent of the traffic change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: CapacityType = Field(
        description="`CAPACITY_PERCENT`: `value` is a percent of the traffic change. "
        "`INSTANCE_COUNT` is refused here: instance counts apply to version updates, not to "
        "traffic shifts."
    )
    value: int

    @field_validator("type")
    @classmethod
    def _percent_only(cls, value: str) -> str:
        if value == "INSTANCE_COUNT":
            raise ValueError(_INSTANCE_COUNT_REFUSED)
        return value


class CanarySize(_TrafficShiftSize):
    """The canary step's size: the first step moves this percent of the change."""

    value: int = Field(
        ge=1,
        le=50,
        description="Percent of the change the canary step moves, 1-50 (the seed's limit: at "
        "most half).",
    )


class LinearStepSize(_TrafficShiftSize):
    """A linear step's size: each step moves this percent of the change more."""

    value: int = Field(
        ge=10,
        le=50,
        description="Percent of the change each step moves, 10-50 (the seed's limits); the "
        "last step moves what is left.",
    )


class TrafficRoutingConfiguration(BaseModel):
    """How traffic moves from the current table to the new one: in one step, a canary, or linear steps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ShiftType = Field(
        description="`ALL_AT_ONCE`: one step. `CANARY`: two steps, `canary_size` of the change "
        "and then the rest. `LINEAR`: steps of `linear_step_size` each until the change is made."
    )
    wait_interval_in_seconds: int = Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description=f"The bake after each step, 0-{MAX_WAIT_SECONDS} seconds: the alarms are "
        "evaluated on the versions gaining share before the next step.",
    )
    canary_size: CanarySize | None = Field(
        default=None,
        validate_default=True,
        description="Required for `CANARY`, refused for the other types: "
        "`{type: CAPACITY_PERCENT, value: 1-50}`.",
    )
    linear_step_size: LinearStepSize | None = Field(
        default=None,
        validate_default=True,
        description="Required for `LINEAR`, refused for the other types: "
        "`{type: CAPACITY_PERCENT, value: 10-50}`.",
    )

    @field_validator("canary_size", "linear_step_size")
    @classmethod
    def _size_matches_the_type(cls, value: _TrafficShiftSize | None, info: ValidationInfo) -> Any:
        shift = info.data.get("type")
        if shift is None:  # the type itself is invalid and reported
            return value
        owner = "CANARY" if info.field_name == "canary_size" else "LINEAR"
        if shift == owner and value is None:
            raise ValueError(f"required when type is {owner}")
        if shift != owner and value is not None:
            raise ValueError(f"only a {owner} shift takes a {info.field_name}; type is {shift}")
        return value

    @property
    def step_percents(self) -> tuple[int, ...]:
        """The cumulative percent of the change each step reaches, the last always 100:
        ALL_AT_ONCE `(100,)`, CANARY 10 `(10, 100)`, LINEAR 30 `(30, 60, 90, 100)`."""
        if self.canary_size is not None:
            return (self.canary_size.value, 100)
        if self.linear_step_size is not None:
            step = self.linear_step_size.value
            return tuple(min(step * k, 100) for k in range(1, math.ceil(100 / step) + 1))
        return (100,)


class BlueGreenUpdatePolicy(BaseModel):
    """The seed's blue/green update policy, for traffic shifts: the steps, the final wait and a deadline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    traffic_routing_configuration: TrafficRoutingConfiguration = Field(
        description="The steps and the bake after each."
    )
    termination_wait_in_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description=f"A last bake after the final step, 0-{MAX_WAIT_SECONDS} seconds, alarms "
        "still evaluated; a breach then still rolls the whole shift back.",
    )
    maximum_execution_timeout_in_seconds: int = Field(
        default=MAX_EXECUTION_TIMEOUT_SECONDS,
        ge=MIN_EXECUTION_TIMEOUT_SECONDS,
        le=MAX_EXECUTION_TIMEOUT_SECONDS,
        validate_default=True,
        description=f"The deadline of a whole shift, {MIN_EXECUTION_TIMEOUT_SECONDS}-"
        f"{MAX_EXECUTION_TIMEOUT_SECONDS} seconds (the seed's range; unset: the most it allows); "
        "when it passes the shift is rolled back. It must exceed the total wait: steps x "
        "`wait_interval_in_seconds` + `termination_wait_in_seconds`, with the steps the policy "
        "takes for a whole change (ALL_AT_ONCE 1, CANARY 2, LINEAR ceil(100 / step)).",
    )

    @field_validator("maximum_execution_timeout_in_seconds")
    @classmethod
    def _exceeds_the_total_wait(cls, value: int, info: ValidationInfo) -> int:
        routing = info.data.get("traffic_routing_configuration")
        termination = info.data.get("termination_wait_in_seconds")
        if routing is None or termination is None:  # reported on their own fields
            return value
        steps = len(routing.step_percents)
        wait = routing.wait_interval_in_seconds
        total = total_wait_seconds(steps, wait, termination)
        if value > total:
            return value
        formula = (
            f"{steps} step{'s' if steps > 1 else ''} x {wait} s wait_interval_in_seconds + "
            f"{termination} s termination_wait_in_seconds"
        )
        if total >= MAX_EXECUTION_TIMEOUT_SECONDS:
            fix = (
                f"the timeout can be at most {MAX_EXECUTION_TIMEOUT_SECONDS}, so shorten the waits "
                "or take bigger steps"
            )
        else:
            fix = f"raise it above {total}"
        raise ValueError(f"{value} s must exceed the total wait of {total} s ({formula}); {fix}")

    @property
    def longest_wait_seconds(self) -> int:
        """The total wait of a shift taking every step the policy allows (a small change may be
        planned in fewer steps and wait less)."""
        routing = self.traffic_routing_configuration
        return total_wait_seconds(
            len(routing.step_percents),
            routing.wait_interval_in_seconds,
            self.termination_wait_in_seconds,
        )


class DeploymentConfig(BaseModel):
    """An endpoint's update policy (seed 004's `DeploymentConfig`): stepped shifts, or rolling updates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blue_green_update_policy: BlueGreenUpdatePolicy | None = Field(
        default=None,
        description="How a routing change is stepped. Unset: in one step, with no bake.",
    )
    auto_rollback_configuration: AutoRollbackConfiguration | None = Field(
        default=None,
        description="Alarms evaluated during the bakes; one breaching rolls the shift back and "
        "fails it. Unset: no automatic rollback.",
    )

    rolling_update_policy: RollingUpdatePolicy | None = Field(
        default=None,
        description="How a version update (a new image, inference config, resources or env) "
        "replaces the version's pods: Kubernetes' rolling update in batches, each baking before "
        "the next, with a deadline that fails `up`. Only one update policy, as in the seed: not "
        "together with blue_green_update_policy (traffic shifts are then made in one step), nor "
        "with alarms. Unset: one new pod at a time, none removed before its replacement is ready.",
    )

    @model_validator(mode="after")
    def _one_update_policy(self) -> DeploymentConfig:
        if self.rolling_update_policy is None:
            return self
        if self.blue_green_update_policy is not None:
            raise ValueError(
                "rolling_update_policy: set one update policy, as the seed allows: "
                "blue_green_update_policy (stepped traffic shifts and blue/green version "
                "updates) or rolling_update_policy (version updates in batches); unset one"
            )
        rollback = self.auto_rollback_configuration
        if rollback is not None and rollback.alarms:
            raise ValueError(
                "auto_rollback_configuration.alarms: alarms are not evaluated between the "
                "batches of a rolling update (Kubernetes rolls the Deployment on its own; "
                "pausing it between batches and rolling it back on a breach needs a controller "
                "this project does not have yet); remove the alarms, or use "
                "blue_green_update_policy, whose shifts evaluate them"
            )
        return self

    @model_validator(mode="after")
    def _alarms_have_a_bake(self) -> DeploymentConfig:
        rollback = self.auto_rollback_configuration
        if rollback is None or not rollback.alarms:
            return self
        policy = self.blue_green_update_policy
        if policy is None or policy.longest_wait_seconds == 0:
            raise ValueError(
                "auto_rollback_configuration.alarms: alarms are evaluated while a shift bakes, and "
                "this one never bakes; set blue_green_update_policy.traffic_routing_configuration."
                "wait_interval_in_seconds or blue_green_update_policy.termination_wait_in_seconds "
                "above 0"
            )
        return self

    @property
    def traffic_routing_configuration(self) -> TrafficRoutingConfiguration | None:
        """The steps a routing change takes, or None for one step."""
        policy = self.blue_green_update_policy
        return policy.traffic_routing_configuration if policy is not None else None
