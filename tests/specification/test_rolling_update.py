"""Tests for specification.rolling_update: the rolling update policy's structure, the seed's
limits with their field paths, the batch arithmetic, and the rules against the versions."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from specification.deployment_config import DeploymentConfig
from specification.endpoint import EndpointSpec
from specification.errors import format_validation_error
from specification.rolling_update import RollingBatchSize, RollingUpdatePolicy

POLICY = "deployment_config.rolling_update_policy"


def _batch(type_: str = "CAPACITY_PERCENT", value: int = 25) -> dict[str, Any]:
    return {"type": type_, "value": value}


def _policy(**fields: Any) -> dict[str, Any]:
    fields.setdefault("maximum_batch_size", _batch())
    fields.setdefault("wait_interval_in_seconds", 60)
    return fields


def _endpoint(config: dict[str, Any], **version: Any) -> EndpointSpec:
    version.setdefault("num_replicas", 4)
    return EndpointSpec.model_validate(
        {"name": "ep", "versions": [{"name": "v1", "image": "i", **version}], "deployment_config": config}
    )


def _problems(config: dict[str, Any], **version: Any) -> list[str]:
    with pytest.raises(ValidationError) as error:
        _endpoint(config, **version)
    return format_validation_error(error.value).splitlines()


def _one_problem(config: dict[str, Any], **version: Any) -> str:
    problems = _problems(config, **version)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_policy_with_the_seeds_defaults() -> None:
    policy = DeploymentConfig.model_validate({"rolling_update_policy": _policy()}).rolling_update_policy
    assert policy == RollingUpdatePolicy(
        maximum_batch_size=RollingBatchSize(type="CAPACITY_PERCENT", value=25),
        wait_interval_in_seconds=60,
        maximum_execution_timeout_in_seconds=600,
        rollback_maximum_batch_size=None,
    )


@pytest.mark.parametrize("value", [5, 50])
def test_percent_batches_at_the_seeds_limits(value: int) -> None:
    spec = _endpoint({"rolling_update_policy": _policy(maximum_batch_size=_batch(value=value))})
    assert spec.deployment_config is not None and spec.deployment_config.rolling_update_policy


@pytest.mark.parametrize("value", [4, 51, 100])
def test_percent_batches_beyond_the_seeds_range_are_refused(value: int) -> None:
    problem = _one_problem({"rolling_update_policy": _policy(maximum_batch_size=_batch(value=value))})
    assert problem == (
        f"{POLICY}.maximum_batch_size: value: a CAPACITY_PERCENT batch is 5-50% of "
        f"the version's replicas (the seed's range); got {value}"
    )


def test_an_instance_count_batch_is_at_least_one() -> None:
    problem = _one_problem({"rolling_update_policy": _policy(maximum_batch_size=_batch("INSTANCE_COUNT", 0))})
    assert problem.startswith(f"{POLICY}.maximum_batch_size.value: Input should be greater than or equal to 1")


def test_an_instance_count_batch_larger_than_a_fleet_is_refused() -> None:
    config = {"rolling_update_policy": _policy(maximum_batch_size=_batch("INSTANCE_COUNT", 5))}
    problem = _one_problem(config, num_replicas=4)
    assert f"{POLICY}.maximum_batch_size.value: 5 pods per batch, but version 'v1' runs at most 4" in problem
    # an autoscaled version's fleet is its autoscale_max_replicas
    assert _endpoint(config, num_replicas=None, autoscale_max_replicas=5).deployment_config is not None


@pytest.mark.parametrize(("field", "value"), [("wait_interval_in_seconds", -1), ("wait_interval_in_seconds", 3601)])
def test_wait_limits(field: str, value: int) -> None:
    problem = _one_problem({"rolling_update_policy": _policy(**{field: value})})
    assert problem.startswith(f"{POLICY}.{field}: Input should be")


@pytest.mark.parametrize("value", [599, 28801])
def test_timeout_limits(value: int) -> None:
    problem = _one_problem({"rolling_update_policy": _policy(maximum_execution_timeout_in_seconds=value)})
    assert problem.startswith(f"{POLICY}.maximum_execution_timeout_in_seconds: Input should be")


def test_the_wait_interval_is_required() -> None:
    problem = _one_problem({"rolling_update_policy": {"maximum_batch_size": _batch()}})
    assert problem == f"{POLICY}.wait_interval_in_seconds: Field required"


def test_the_timeout_must_exceed_every_versions_total_bake() -> None:
    # 25% of 4 replicas: one pod per batch, four batches of 150 s = 600 s, not below 600
    config = {"rolling_update_policy": _policy(wait_interval_in_seconds=150)}
    assert _one_problem(config) == (
        f"{POLICY}.maximum_execution_timeout_in_seconds: 600 s must exceed the total bake of "
        "version 'v1': 4 batches of its 4 replicas x 150 s wait_interval_in_seconds = 600 s; "
        "raise it (at most 28800), shorten the wait or take bigger batches"
    )
    config["rolling_update_policy"]["maximum_execution_timeout_in_seconds"] = 601
    assert _endpoint(config).deployment_config is not None


def test_the_timeout_exceeds_the_wait_as_kubernetes_requires() -> None:
    # one batch: progressDeadlineSeconds must be above minReadySeconds
    config = {
        "rolling_update_policy": _policy(
            maximum_batch_size=_batch("INSTANCE_COUNT", 1), wait_interval_in_seconds=700
        )
    }
    problem = _one_problem(config, num_replicas=1)
    assert problem.startswith(
        f"{POLICY}.maximum_execution_timeout_in_seconds: 600 s must exceed the total bake of "
        "version 'v1': 1 batch of its 1 replicas x 700 s wait_interval_in_seconds = 700 s"
    )


@pytest.mark.parametrize(
    ("batch", "replicas", "pods", "batches"),
    [
        (_batch(value=25), 4, 1, 4),
        (_batch(value=25), 10, 3, 4),  # 2.5 rounds up, as Kubernetes rounds maxSurge
        (_batch(value=5), 1, 1, 1),  # a percent batch is never empty
        (_batch(value=50), 3, 2, 2),
        (_batch("INSTANCE_COUNT", 2), 5, 2, 3),
    ],
)
def test_batch_arithmetic(batch: dict[str, Any], replicas: int, pods: int, batches: int) -> None:
    size = RollingBatchSize.model_validate(batch)
    assert (size.pods(replicas), size.batches(replicas)) == (pods, batches)


def test_only_one_update_policy() -> None:
    config = {
        "rolling_update_policy": _policy(),
        "blue_green_update_policy": {
            "traffic_routing_configuration": {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 0}
        },
    }
    problem = _one_problem(config)
    assert problem.startswith("deployment_config: rolling_update_policy: set one update policy")


def test_alarms_with_a_rolling_update_make_it_guarded_and_need_a_bake() -> None:
    alarm = {"alarm_name": "errors", "metric": "5xx_ratio", "threshold": 0.01}
    config = {"rolling_update_policy": _policy(), "auto_rollback_configuration": {"alarms": [alarm]}}
    guarded = _endpoint(config).deployment_config
    assert guarded is not None and guarded.guards_version_updates
    plain = _endpoint({"rolling_update_policy": _policy()}).deployment_config
    assert plain is not None and not plain.guards_version_updates  # Kubernetes' own rolling update
    unbaked = {**config, "rolling_update_policy": _policy(wait_interval_in_seconds=0)}
    problem = _one_problem(unbaked)
    assert problem.startswith(
        "deployment_config: auto_rollback_configuration.alarms: a guarded rolling update evaluates "
        "the alarms while each batch bakes, and these batches never bake"
    )


def test_the_rollback_batch_accepts_only_the_seeds_default() -> None:
    whole = _policy(rollback_maximum_batch_size=_batch(value=100))
    assert _endpoint({"rolling_update_policy": whole}).deployment_config is not None
    problem = _one_problem({"rolling_update_policy": _policy(rollback_maximum_batch_size=_batch(value=50))})
    assert problem.startswith(f"{POLICY}.rollback_maximum_batch_size: a rolling update is not")
    assert "got CAPACITY_PERCENT 50" in problem
