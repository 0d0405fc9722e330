"""How a routing change is walked: seed 004's `DeploymentConfig` for traffic shifts, in snake_case.

A change of an endpoint's traffic can be moved in steps (CANARY, LINEAR) with a bake after each
and alarms that roll it back. The policy, its limits and the formulas both the spec and the
rollout planner need live here once: the cumulative share of the change each step reaches, and
the total wait a shift may take, which the execution timeout must exceed. A size is a percent of
the change (`CAPACITY_PERCENT`) or a number of pods (`INSTANCE_COUNT`); a count becomes a percent
only with the fleet it counts in (`step_percents_for(fleet)`): the pods of the version being
replaced blue/green, or of the versions gaining share in a traffic shift (`rollout.capacity`).
A count's limits (the seed's: a canary at most half the fleet, a linear step 10-50% of it) and,
for LINEAR, its number of steps are therefore checked where the fleet is known, by the planner,
with the same messages as here.
The seed's other update policy, `rolling_update_policy` (a version's pods replaced in batches),
lives in `specification.rolling_update`; the seed allows one policy at a time, and so does this.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

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
    "POLICY_PATH",
    "ROUTING_PATH",
    "ShiftType",
    "StepPercent",
    "TrafficRoutingConfiguration",
    "total_wait_problem",
    "total_wait_seconds",
]

# The seed's limits.
MAX_WAIT_SECONDS = 3600
MIN_EXECUTION_TIMEOUT_SECONDS = 600
MAX_EXECUTION_TIMEOUT_SECONDS = 28800

ShiftType = Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]
CapacityType = Literal["CAPACITY_PERCENT", "INSTANCE_COUNT"]

# A cumulative percent of a change: whole for CAPACITY_PERCENT sizes, an exact fraction for an
# INSTANCE_COUNT n of a fleet of B pods (100 n / B), so the planner's arithmetic stays exact.
StepPercent = int | Fraction

POLICY_PATH = "deployment_config.blue_green_update_policy"
ROUTING_PATH = f"{POLICY_PATH}.traffic_routing_configuration"
# An INSTANCE_COUNT linear step is at least 10% of the fleet: at most ten steps; and at most half
# of it: at least two.
_MOST_INSTANCE_COUNT_STEPS = 10
_FEWEST_INSTANCE_COUNT_STEPS = 2


def total_wait_seconds(
    step_count: int, wait_interval_in_seconds: int, termination_wait_in_seconds: int
) -> int:
    """The longest a shift of `step_count` steps bakes: every step's wait interval plus the
    termination wait after the last step; a shift with no step (no change) waits for nothing.
    The spec's timeout rule and the rollout planner both use this, so they cannot disagree."""
    if step_count <= 0:
        return 0
    return step_count * wait_interval_in_seconds + termination_wait_in_seconds


def total_wait_problem(
    timeout: int,
    step_count: int,
    wait_interval_in_seconds: int,
    termination_wait_in_seconds: int,
    steps_for: str = "",
) -> str | None:
    """Why `timeout` does not exceed the total wait of `step_count` steps, or None when it does.
    `steps_for` says where the step count comes from (` for a fleet of 5 pods`). The spec's rule,
    and the planner's for an INSTANCE_COUNT policy whose steps it counts with the fleet."""
    total = total_wait_seconds(step_count, wait_interval_in_seconds, termination_wait_in_seconds)
    if timeout > total:
        return None
    formula = (
        f"{step_count} step{'s' if step_count > 1 else ''}{steps_for} x "
        f"{wait_interval_in_seconds} s wait_interval_in_seconds + "
        f"{termination_wait_in_seconds} s termination_wait_in_seconds"
    )
    if total >= MAX_EXECUTION_TIMEOUT_SECONDS:
        fix = (
            f"the timeout can be at most {MAX_EXECUTION_TIMEOUT_SECONDS}, so shorten the waits "
            "or take bigger steps"
        )
    else:
        fix = f"raise it above {total}"
    return f"{timeout} s must exceed the total wait of {total} s ({formula}); {fix}"


def _pods(count: int) -> str:
    return f"{count} pod{'s' if count != 1 else ''}"


def _exact(percent: Fraction) -> StepPercent:
    """A whole percent as an int (`50`, not `Fraction(50, 1)`), any other as the exact fraction."""
    return int(percent) if percent.denominator == 1 else percent


class _TrafficShiftSize(BaseModel):
    """A step size (the seed's `CapacitySize`): a percent of the traffic change, or a number of pods."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # the field's name, the seed's percent range for it, and its rule in words
    _FIELD: ClassVar[str]
    _PERCENTS: ClassVar[tuple[int, int]]

    type: CapacityType = Field(
        description="`CAPACITY_PERCENT`: `value` is a percent of the traffic change. "
        "`INSTANCE_COUNT`: `value` is a number of pods of the fleet taking the traffic (the "
        "version replaced blue/green, or the versions gaining share in a traffic shift), "
        "converted to a percent of it with each version's declared pods (`num_replicas`, else "
        "`autoscale_min_replicas`) when a change is planned: by the TrafficSplit at preview, by "
        "`local apply` and by the review."
    )
    value: int

    @field_validator("value")
    @classmethod
    def _percent_in_the_seeds_range(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("type") != "CAPACITY_PERCENT":  # a count's range needs the fleet
            return value
        low, high = cls._PERCENTS
        if value < low:
            raise PydanticCustomError(
                "greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": low}
            )
        if value > high:
            raise PydanticCustomError(
                "less_than_equal", "Input should be less than or equal to {le}", {"le": high}
            )
        return value

    @property
    def path(self) -> str:
        """The value's path from the endpoint:
        `deployment_config.blue_green_update_policy.traffic_routing_configuration.<size>.value`."""
        return f"{ROUTING_PATH}.{self._FIELD}.value"

    def percent_of(self, fleet: int | None) -> StepPercent:
        """The size as a percent of the change: `value` for CAPACITY_PERCENT; for INSTANCE_COUNT,
        `value` pods of a `fleet` of pods as an exact percent, ValueError (naming the field, the
        rule and the fleet) when it breaks the seed's rule or no fleet is given."""
        if self.type == "CAPACITY_PERCENT":
            return self.value
        if fleet is None:
            raise ValueError(
                f"{self.path}: an INSTANCE_COUNT size counts pods, so its steps depend on the "
                "fleet taking the traffic, which this plan was made without (a TrafficSplit "
                "created by a release before `versions_serving` knows no fleet: an `up` with "
                "this release gives it one)"
            )
        if fleet < 1:
            raise ValueError(
                f"{self.path}: an INSTANCE_COUNT size of {_pods(self.value)} needs a fleet of at "
                f"least 1 pod to be a share of, got {fleet}"
            )
        percent = Fraction(100 * self.value, fleet)
        self._check_share(percent, fleet)
        return _exact(percent)

    def _check_share(self, percent: Fraction, fleet: int) -> None:
        raise NotImplementedError


class CanarySize(_TrafficShiftSize):
    """The canary step's size: the first step moves this share of the change."""

    _FIELD = "canary_size"
    _PERCENTS = (1, 50)

    value: int = Field(
        ge=1,
        description="`CAPACITY_PERCENT`: percent of the change the canary step moves, 1-50 (the "
        "seed's limit: at most half). `INSTANCE_COUNT`: pods, 1 or more; the canary moves that "
        "share of the fleet's traffic, at most half the fleet (checked when the fleet is known).",
    )

    def _check_share(self, percent: Fraction, fleet: int) -> None:
        if percent <= 50:
            return
        fix = (
            f"lower it to {fleet // 2} or fewer"
            if fleet >= 2
            else "a fleet of 1 pod has no canary: use CAPACITY_PERCENT or ALL_AT_ONCE"
        )
        whole = " (the whole fleet)" if self.value >= fleet else ""
        raise ValueError(
            f"{self.path}: an INSTANCE_COUNT canary is at most half the fleet (the seed's rule), "
            f"and {_pods(self.value)} of a fleet of {_pods(fleet)} is {float(percent):.4g}%{whole}; "
            f"{fix}"
        )


class LinearStepSize(_TrafficShiftSize):
    """A linear step's size: each step moves this share of the change more."""

    _FIELD = "linear_step_size"
    _PERCENTS = (10, 50)

    value: int = Field(
        ge=1,
        description="`CAPACITY_PERCENT`: percent of the change each step moves, 10-50 (the seed's "
        "limits); the last step moves what is left. `INSTANCE_COUNT`: pods, 1 or more; each step "
        "moves that share of the fleet's traffic, 10-50% of the fleet (checked when the fleet is "
        "known).",
    )

    def _check_share(self, percent: Fraction, fleet: int) -> None:
        if 10 <= percent <= 50:
            return
        low, high = math.ceil(fleet / 10), fleet // 2
        if low > high:
            fix = (
                f"a fleet of {_pods(fleet)} cannot be stepped: use CAPACITY_PERCENT, CANARY or "
                "ALL_AT_ONCE"
            )
        else:
            fix = f"use {low}-{high} pods" if low < high else f"use {_pods(low)}"
        raise ValueError(
            f"{self.path}: an INSTANCE_COUNT linear step is 10-50% of the fleet (the seed's "
            f"limits), and {_pods(self.value)} of a fleet of {_pods(fleet)} is "
            f"{float(percent):.4g}%; {fix}"
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
        "`{type: CAPACITY_PERCENT, value: 1-50}`, or `{type: INSTANCE_COUNT, value: N}` pods, at "
        "most half the fleet taking the traffic.",
    )
    linear_step_size: LinearStepSize | None = Field(
        default=None,
        validate_default=True,
        description="Required for `LINEAR`, refused for the other types: "
        "`{type: CAPACITY_PERCENT, value: 10-50}`, or `{type: INSTANCE_COUNT, value: N}` pods, "
        "10-50% of the fleet taking the traffic.",
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
    def size(self) -> CanarySize | LinearStepSize | None:
        """The step size of the type (none for ALL_AT_ONCE)."""
        return self.canary_size if self.canary_size is not None else self.linear_step_size

    @property
    def counts_instances(self) -> bool:
        """Whether the size is an INSTANCE_COUNT, whose steps need the fleet it counts in."""
        size = self.size
        return size is not None and size.type == "INSTANCE_COUNT"

    def step_percents_for(self, fleet: int | None) -> tuple[StepPercent, ...]:
        """The cumulative percent of the change each step reaches, the last always 100:
        ALL_AT_ONCE `(100,)`, CANARY 10 `(10, 100)`, LINEAR 30 `(30, 60, 90, 100)`. An
        INSTANCE_COUNT size is converted with `fleet`, the pods taking the traffic: CANARY 1 of 4
        `(25, 100)`, LINEAR 2 of 5 `(40, 80, 100)`, exact fractions where not whole (1 of 3:
        `Fraction(100, 3)`); ValueError naming the field, the seed's rule and the fleet when the
        count breaks the rule, or when `fleet` is None. Percent sizes ignore `fleet`."""
        size = self.size
        if size is None:
            return (100,)
        step = Fraction(size.percent_of(fleet))
        if self.canary_size is not None:
            return (_exact(step), 100)
        count = math.ceil(100 / step)
        return tuple(_exact(min(step * k, Fraction(100))) for k in range(1, count + 1))

    @property
    def step_percents(self) -> tuple[StepPercent, ...]:
        """`step_percents_for(None)`: the percents of a policy whose sizes need no fleet
        (CAPACITY_PERCENT, ALL_AT_ONCE); ValueError for an INSTANCE_COUNT size."""
        return self.step_percents_for(None)

    @property
    def step_count_range(self) -> tuple[int, int]:
        """The fewest and the most steps a whole change takes under this policy, whatever the
        fleet: one number for percent sizes and CANARY; an INSTANCE_COUNT linear step, 10-50%
        of the fleet, takes 2 to 10."""
        if self.linear_step_size is not None and self.counts_instances:
            return (_FEWEST_INSTANCE_COUNT_STEPS, _MOST_INSTANCE_COUNT_STEPS)
        if self.canary_size is not None:
            return (2, 2)
        count = len(self.step_percents_for(None))
        return (count, count)


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
        "takes for a whole change (ALL_AT_ONCE 1, CANARY 2, LINEAR ceil(100 / step); a LINEAR "
        "`INSTANCE_COUNT` of k pods takes ceil(fleet / k), 2 to 10: checked here with 2, and "
        "with the fleet's own count when a change is planned).",
    )

    @field_validator("maximum_execution_timeout_in_seconds")
    @classmethod
    def _exceeds_the_total_wait(cls, value: int, info: ValidationInfo) -> int:
        routing = info.data.get("traffic_routing_configuration")
        termination = info.data.get("termination_wait_in_seconds")
        if routing is None or termination is None:  # reported on their own fields
            return value
        steps = routing.step_count_range[0]
        counted = (
            " at the fewest (an INSTANCE_COUNT step is at most half the fleet)"
            if routing.counts_instances and routing.linear_step_size is not None
            else ""
        )
        problem = total_wait_problem(
            value, steps, routing.wait_interval_in_seconds, termination, counted
        )
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def longest_wait_seconds(self) -> int:
        """The total wait of a shift taking every step the policy allows (a small change may be
        planned in fewer steps and wait less; a LINEAR INSTANCE_COUNT policy counted at its
        most, ten steps)."""
        routing = self.traffic_routing_configuration
        return total_wait_seconds(
            routing.step_count_range[1],
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
        "the next, with a deadline that fails `up`. With alarms, a guarded rolling update: the "
        "new pods start beside the old ones a batch at a time, each batch taking its share of "
        "the version's traffic through the router and baking with the alarms read, rolled back "
        "on a breach. Only one update policy, as in the seed: not together with "
        "blue_green_update_policy (traffic shifts are then made in one step). Unset: one new "
        "pod at a time, none removed before its replacement is ready.",
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
        return self

    @property
    def has_alarms(self) -> bool:
        rollback = self.auto_rollback_configuration
        return rollback is not None and bool(rollback.alarms)

    @property
    def guards_version_updates(self) -> bool:
        """Whether a version's new serving definition is walked in by the router, guarded: under
        a blue_green_update_policy (a blue/green replacement), or a rolling_update_policy with
        alarms (a guarded rolling update: green grows batch by batch, each batch baked with the
        alarms read). A rolling policy without alarms stays Kubernetes' own rolling update."""
        return self.blue_green_update_policy is not None or (
            self.rolling_update_policy is not None and self.has_alarms
        )

    @model_validator(mode="after")
    def _alarms_have_a_bake(self) -> DeploymentConfig:
        rollback = self.auto_rollback_configuration
        if rollback is None or not rollback.alarms:
            return self
        rolling = self.rolling_update_policy
        if rolling is not None:
            if rolling.wait_interval_in_seconds == 0:
                raise ValueError(
                    "auto_rollback_configuration.alarms: a guarded rolling update evaluates the "
                    "alarms while each batch bakes, and these batches never bake; set "
                    "rolling_update_policy.wait_interval_in_seconds above 0"
                )
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
