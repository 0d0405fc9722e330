"""Seed 004's `RollingUpdatePolicy`, in snake_case: how a version's pods are replaced in batches.

A change of a version's serving definition (image, inference config, resources, env) rolls its
Deployment. With this policy the roll is Kubernetes' own rolling update, sized and timed by the
seed's fields (`components.manifests.rolling_update` maps them). The batch arithmetic lives here
once, because the spec's rules (a batch the fleet can honour, a timeout longer than every bake)
and the mapping must agree: a percent batch is `ceil(percent x replicas / 100)` pods, as
Kubernetes rounds `maxSurge` up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from specification.version import VersionSpec

__all__ = [
    "MAX_BATCH_PERCENT",
    "MAX_ROLLING_WAIT_SECONDS",
    "MIN_BATCH_PERCENT",
    "ROLLING_TIMEOUT_RANGE",
    "RollbackBatchSize",
    "RollingBatchSize",
    "RollingUpdatePolicy",
    "rolling_update_problems",
]

# The seed's limits (SageMaker's RollingUpdatePolicy).
MIN_BATCH_PERCENT = 5
MAX_BATCH_PERCENT = 50
MAX_ROLLING_WAIT_SECONDS = 3600
ROLLING_TIMEOUT_RANGE = (600, 28800)
# Unset, the deadline is the seed's minimum, which is also Kubernetes' default
# progressDeadlineSeconds and the Kubernetes provider's default wait for a Deployment.
DEFAULT_ROLLING_TIMEOUT_SECONDS = ROLLING_TIMEOUT_RANGE[0]

_CapacityType = Literal["INSTANCE_COUNT", "CAPACITY_PERCENT"]


class RollingBatchSize(BaseModel):
    """A batch (the seed's `CapacitySize`): a number of pods, or a percent of the version's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: _CapacityType = Field(
        description="`INSTANCE_COUNT`: `value` pods per batch. `CAPACITY_PERCENT`: `value` "
        "percent of the version's replicas per batch, rounded up (at least one pod)."
    )
    value: int = Field(
        ge=1,
        description=f"Pods (1 or more, at most the version's replicas), or percent "
        f"({MIN_BATCH_PERCENT}-{MAX_BATCH_PERCENT}, the seed's range).",
    )

    @model_validator(mode="after")
    def _percent_in_the_seeds_range(self) -> RollingBatchSize:
        if self.type == "CAPACITY_PERCENT" and not MIN_BATCH_PERCENT <= self.value <= MAX_BATCH_PERCENT:
            raise ValueError(
                f"value: a CAPACITY_PERCENT batch is {MIN_BATCH_PERCENT}-{MAX_BATCH_PERCENT}% of "
                f"the version's replicas (the seed's range); got {self.value}"
            )
        return self

    def pods(self, replicas: int) -> int:
        """Pods in one batch of a version running `replicas`: Kubernetes rounds a percent
        `maxSurge` up, so a percent batch is never empty."""
        if self.type == "INSTANCE_COUNT":
            return self.value
        return max(1, math.ceil(self.value * replicas / 100))

    def batches(self, replicas: int) -> int:
        """Batches replacing `replicas` pods (one for an empty fleet)."""
        return max(1, math.ceil(replicas / self.pods(replicas)))


class RollbackBatchSize(BaseModel):
    """The seed's `RollbackMaximumBatchSize`: accepted only as its default, all at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: _CapacityType = Field(description="`CAPACITY_PERCENT` (the only value honoured).")
    value: int = Field(ge=1, description="100 (the only value honoured).")

    @model_validator(mode="after")
    def _only_the_seeds_default(self) -> RollbackBatchSize:
        if (self.type, self.value) != ("CAPACITY_PERCENT", 100):
            raise ValueError(
                "a rolling update is not rolled back in batches here: without alarms Kubernetes "
                "keeps a stalled rollout where it stopped and `up` fails at "
                "maximum_execution_timeout_in_seconds (the way back is an `up` with the previous "
                "definition, rolled in maximum_batch_size batches); with alarms a breach moves "
                "all of the version's traffic back to its old pods at once. Only the seed's "
                "default (unset, or "
                f"{{type: CAPACITY_PERCENT, value: 100}}) is accepted; got {self.type} {self.value}"
            )
        return self


class RollingUpdatePolicy(BaseModel):
    """A version update rolled by Kubernetes in batches, each baking before the next."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    maximum_batch_size: RollingBatchSize = Field(
        description="New pods started per batch, beside the old ones (Deployment `maxSurge`; "
        "`maxUnavailable` is 0, so serving capacity never drops); an old pod goes for each new "
        "one that is ready and has baked. `{type: INSTANCE_COUNT, value: N}` or "
        f"`{{type: CAPACITY_PERCENT, value: {MIN_BATCH_PERCENT}-{MAX_BATCH_PERCENT}}}`."
    )
    wait_interval_in_seconds: int = Field(
        ge=0,
        le=MAX_ROLLING_WAIT_SECONDS,
        description=f"The bake of each batch, 0-{MAX_ROLLING_WAIT_SECONDS} seconds: a new pod "
        "must stay ready this long before it counts as available and the next batch starts "
        "(Deployment `minReadySeconds`). It serves traffic while it bakes.",
    )
    maximum_execution_timeout_in_seconds: int = Field(
        default=DEFAULT_ROLLING_TIMEOUT_SECONDS,
        ge=ROLLING_TIMEOUT_RANGE[0],
        le=ROLLING_TIMEOUT_RANGE[1],
        description=f"The deadline of a version's rollout, {ROLLING_TIMEOUT_RANGE[0]}-"
        f"{ROLLING_TIMEOUT_RANGE[1]} seconds (the seed's range; unset: "
        f"{DEFAULT_ROLLING_TIMEOUT_SECONDS}, also Kubernetes' default). `up` waits this long for "
        "the Deployment (Pulumi `customTimeouts`) and fails when it passes; Kubernetes marks a "
        "rollout without progress for this long as failed (`progressDeadlineSeconds`). It must "
        "exceed every version's total bake: batches x `wait_interval_in_seconds`, the batches "
        "counted at the version's most replicas.",
    )
    rollback_maximum_batch_size: RollbackBatchSize | None = Field(
        default=None,
        description="The seed's rollback batch; only its default (unset, or "
        "`{type: CAPACITY_PERCENT, value: 100}`) is accepted: without alarms nothing rolls a "
        "failed rolling update back on its own (`up` fails and the Deployment stays where it "
        "stopped, old pods still serving); with alarms a breach moves all of the version's "
        "traffic back to its old pods at once.",
    )

    def longest_bake_seconds(self, replicas: int) -> int:
        """The total bake of a rollout of `replicas` pods: each batch's wait."""
        return self.maximum_batch_size.batches(replicas) * self.wait_interval_in_seconds


def rolling_update_problems(
    policy: RollingUpdatePolicy, versions: Sequence[VersionSpec]
) -> list[str]:
    """The policy's rules against the versions it rolls: a batch of pods no larger than a
    version's fleet, and a timeout above every version's total bake (which also keeps
    `progressDeadlineSeconds` above `minReadySeconds`, as Kubernetes requires)."""
    path = "deployment_config.rolling_update_policy"
    problems = []
    batch = policy.maximum_batch_size
    if batch.type == "INSTANCE_COUNT":
        for version in versions:
            if batch.value > version.max_replicas:
                problems.append(
                    f"{path}.maximum_batch_size.value: {batch.value} pods per batch, but version "
                    f"{version.name!r} runs at most {version.max_replicas}; a batch cannot be "
                    "larger than the fleet it replaces: lower it or use CAPACITY_PERCENT"
                )
    timeout = policy.maximum_execution_timeout_in_seconds
    for version in versions:
        bake = policy.longest_bake_seconds(version.max_replicas)
        if timeout <= bake:
            batches = batch.batches(version.max_replicas)
            problems.append(
                f"{path}.maximum_execution_timeout_in_seconds: {timeout} s must exceed the total "
                f"bake of version {version.name!r}: {batches} batch{'es' if batches > 1 else ''} "
                f"of its {version.max_replicas} replicas x {policy.wait_interval_in_seconds} s "
                f"wait_interval_in_seconds = {bake} s; raise it (at most "
                f"{ROLLING_TIMEOUT_RANGE[1]}), shorten the wait or take bigger batches"
            )
    return problems
