"""The rolling update policy mapped onto a version's Deployment, field by field, every manifest
checked against the Kubernetes schema."""

from __future__ import annotations

from typing import Any

import pytest

from components.manifests.rolling_update import (
    DEFAULT_STRATEGY,
    rollout_fields,
    rollout_timeout_seconds,
)
from components.manifests.workload import deployment
from specification.rolling_update import RollingUpdatePolicy
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, version


def _policy(type_: str = "CAPACITY_PERCENT", value: int = 25, **fields: Any) -> RollingUpdatePolicy:
    fields.setdefault("wait_interval_in_seconds", 30)
    return RollingUpdatePolicy.model_validate(
        {"maximum_batch_size": {"type": type_, "value": value}, **fields}
    )


def test_without_a_policy_one_pod_at_a_time_and_kubernetes_deadlines() -> None:
    assert rollout_fields(None) == {
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    }
    assert rollout_fields(None)["strategy"] == DEFAULT_STRATEGY
    assert rollout_timeout_seconds(None) is None


def test_a_percent_batch_is_a_percent_surge_and_nothing_unavailable() -> None:
    fields = rollout_fields(_policy("CAPACITY_PERCENT", 20, wait_interval_in_seconds=45))
    assert fields == {
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "20%", "maxUnavailable": 0}},
        "minReadySeconds": 45,
        "progressDeadlineSeconds": 600,
    }


def test_an_instance_count_batch_is_a_pod_count_surge() -> None:
    fields = rollout_fields(_policy("INSTANCE_COUNT", 2))
    assert fields["strategy"]["rollingUpdate"] == {"maxSurge": 2, "maxUnavailable": 0}


def test_the_timeout_is_the_progress_deadline_and_the_wait_of_up() -> None:
    policy = _policy(maximum_execution_timeout_in_seconds=1800)
    assert rollout_fields(policy)["progressDeadlineSeconds"] == 1800
    assert rollout_timeout_seconds(policy) == 1800


@pytest.mark.parametrize(
    "batch", [("CAPACITY_PERCENT", 5), ("CAPACITY_PERCENT", 50), ("INSTANCE_COUNT", 1), ("INSTANCE_COUNT", 3)]
)
@pytest.mark.parametrize("replicas", [None, 3])
def test_the_deployment_carries_the_mapping_and_validates(
    batch: tuple[str, int], replicas: int | None
) -> None:
    type_, value = batch
    config = {
        "rolling_update_policy": {
            "maximum_batch_size": {"type": type_, "value": value},
            "wait_interval_in_seconds": 20,
            "maximum_execution_timeout_in_seconds": 900,
        }
    }
    ep = endpoint(version("v1", num_replicas=replicas), deployment_config=config)
    manifest = deployment(ep, ep.versions[0], None)
    validate_manifest(manifest)
    spec = manifest["spec"]
    surge = value if type_ == "INSTANCE_COUNT" else f"{value}%"
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": 0},
    }
    assert spec["minReadySeconds"] == 20
    assert spec["progressDeadlineSeconds"] == 900
    assert ("replicas" in spec) == (replicas is not None)


def test_a_deployment_without_a_policy_keeps_todays_strategy() -> None:
    ep = endpoint(version("v1", num_replicas=2))
    spec = deployment(ep, ep.versions[0], None)["spec"]
    assert spec["strategy"] == DEFAULT_STRATEGY
    assert "minReadySeconds" not in spec and "progressDeadlineSeconds" not in spec
