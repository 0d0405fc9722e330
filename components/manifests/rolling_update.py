"""A rolling update policy mapped onto the fields of a version's Deployment, and nothing else.

What Kubernetes does natively stays Kubernetes' job: the Deployment controller replaces the pods
in batches, holds each new pod `minReadySeconds` before it counts, and marks a rollout that
stops progressing. The mapping (the README's table):

- `maximum_batch_size` `INSTANCE_COUNT` N: `strategy.rollingUpdate.maxSurge: N` and
  `maxUnavailable: 0`: N new pods beside the old ones, an old pod going for each new one
  available;
- `maximum_batch_size` `CAPACITY_PERCENT` P: `maxSurge: "P%"`, `maxUnavailable: 0` (Kubernetes
  rounds P% of the replicas up: at least one pod);
- `wait_interval_in_seconds`: `minReadySeconds` (a new pod serves while it bakes; it counts as
  available, and frees the next batch, only after);
- `maximum_execution_timeout_in_seconds`: `progressDeadlineSeconds`, and the Deployment's Pulumi
  `customTimeouts` for create and update (`rollout_timeout_seconds`): `up` waits this long for
  the rollout and fails after; Kubernetes marks the stalled rollout `ProgressDeadlineExceeded`.

`maxUnavailable: 0` because SageMaker's batch provisions new capacity before it terminates old
capacity: serving capacity never drops during a rollout. Without a policy the Deployment keeps
the project's default, one pod at a time, none removed before its replacement is ready, with
Kubernetes' and the Kubernetes provider's own deadlines (600 s, 10 minutes).
"""

from __future__ import annotations

from typing import Any

from specification.rolling_update import RollingUpdatePolicy

__all__ = ["DEFAULT_STRATEGY", "rollout_fields", "rollout_timeout_seconds"]

# Keep serving capacity during a rollout: add a new replica before removing an old one.
DEFAULT_STRATEGY: dict[str, Any] = {
    "type": "RollingUpdate",
    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
}


def _max_surge(policy: RollingUpdatePolicy) -> int | str:
    batch = policy.maximum_batch_size
    return batch.value if batch.type == "INSTANCE_COUNT" else f"{batch.value}%"


def rollout_fields(policy: RollingUpdatePolicy | None) -> dict[str, Any]:
    """The Deployment `spec` fields a policy sets (`strategy`, and with a policy
    `minReadySeconds` and `progressDeadlineSeconds`)."""
    if policy is None:
        return {"strategy": DEFAULT_STRATEGY}
    return {
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": _max_surge(policy), "maxUnavailable": 0},
        },
        "minReadySeconds": policy.wait_interval_in_seconds,
        "progressDeadlineSeconds": policy.maximum_execution_timeout_in_seconds,
    }


def rollout_timeout_seconds(policy: RollingUpdatePolicy | None) -> int | None:
    """How long `up` waits for the Deployment to roll (its create and update custom timeouts);
    None: the Kubernetes provider's default."""
    return None if policy is None else policy.maximum_execution_timeout_in_seconds
