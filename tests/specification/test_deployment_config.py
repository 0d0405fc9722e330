"""Tests for specification.deployment_config: the shift policy's structure, every limit with its
field path, the steps a policy takes and the total wait the timeout must exceed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from specification.deployment_config import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
    BlueGreenUpdatePolicy,
    DeploymentConfig,
    TrafficRoutingConfiguration,
    total_wait_seconds,
)
from specification.endpoint import EndpointSpec
from specification.errors import format_validation_error

POLICY = "deployment_config.blue_green_update_policy"
ROUTING = f"{POLICY}.traffic_routing_configuration"


def _percent(value: int) -> dict[str, Any]:
    return {"type": "CAPACITY_PERCENT", "value": value}


def _routing(type_: str = "CANARY", wait: int = 300, **fields: Any) -> dict[str, Any]:
    if type_ == "CANARY":
        fields.setdefault("canary_size", _percent(10))
    if type_ == "LINEAR":
        fields.setdefault("linear_step_size", _percent(25))
    return {"type": type_, "wait_interval_in_seconds": wait, **fields}


def _config(routing: dict[str, Any] | None = None, **policy: Any) -> dict[str, Any]:
    return {"blue_green_update_policy": {"traffic_routing_configuration": routing or _routing(), **policy}}


def _problems(config: dict[str, Any]) -> list[str]:
    """The lines a user reads for an endpoint with this deployment_config, paths from the endpoint."""
    with pytest.raises(ValidationError) as error:
        EndpointSpec.model_validate(
            {"name": "ep", "versions": [{"name": "v1", "image": "i"}], "deployment_config": config}
        )
    return format_validation_error(error.value).splitlines()


def _one_problem(config: dict[str, Any]) -> str:
    problems = _problems(config)
    assert len(problems) == 1, problems
    return problems[0]


# --- structure and defaults


def test_a_canary_policy_with_the_seeds_defaults() -> None:
    config = DeploymentConfig.model_validate(_config())
    assert config.blue_green_update_policy is not None
    assert config.blue_green_update_policy.termination_wait_in_seconds == 0
    assert config.blue_green_update_policy.maximum_execution_timeout_in_seconds == MAX_EXECUTION_TIMEOUT_SECONDS
    assert config.auto_rollback_configuration is None
    routing = config.traffic_routing_configuration
    assert routing is not None and routing.type == "CANARY"
    assert routing.canary_size is not None and routing.canary_size.value == 10
    assert routing.linear_step_size is None


def test_no_policy_means_no_steps_to_walk() -> None:
    assert DeploymentConfig().traffic_routing_configuration is None


@pytest.mark.parametrize(
    ("routing", "percents"),
    [
        (_routing("ALL_AT_ONCE"), (100,)),
        (_routing("CANARY", canary_size=_percent(10)), (10, 100)),
        (_routing("CANARY", canary_size=_percent(50)), (50, 100)),
        (_routing("LINEAR", linear_step_size=_percent(25)), (25, 50, 75, 100)),
        (_routing("LINEAR", linear_step_size=_percent(30)), (30, 60, 90, 100)),
        (_routing("LINEAR", linear_step_size=_percent(50)), (50, 100)),
        (_routing("LINEAR", linear_step_size=_percent(10)), tuple(range(10, 101, 10))),
    ],
)
def test_step_percents_are_cumulative_shares_of_the_change(
    routing: dict[str, Any], percents: tuple[int, ...]
) -> None:
    assert TrafficRoutingConfiguration.model_validate(routing).step_percents == percents


# --- the type decides which size is required


@pytest.mark.parametrize(("type_", "field"), [("CANARY", "canary_size"), ("LINEAR", "linear_step_size")])
def test_the_size_of_the_type_is_required(type_: str, field: str) -> None:
    routing = {"type": type_, "wait_interval_in_seconds": 60}
    assert _one_problem(_config(routing)) == f"{ROUTING}.{field}: required when type is {type_}"


@pytest.mark.parametrize(
    ("type_", "field", "owner"),
    [
        ("ALL_AT_ONCE", "canary_size", "CANARY"),
        ("ALL_AT_ONCE", "linear_step_size", "LINEAR"),
        ("LINEAR", "canary_size", "CANARY"),
        ("CANARY", "linear_step_size", "LINEAR"),
    ],
)
def test_a_size_for_another_type_is_refused(type_: str, field: str, owner: str) -> None:
    routing = _routing(type_, **{field: _percent(20)})
    assert _one_problem(_config(routing)) == (
        f"{ROUTING}.{field}: only a {owner} shift takes a {field}; type is {type_}"
    )


def test_an_unknown_type_is_refused() -> None:
    problems = _problems(_config({"type": "BLUE_GREEN", "wait_interval_in_seconds": 60}))
    assert problems == [
        f"{ROUTING}.type: Input should be 'ALL_AT_ONCE', 'CANARY' or 'LINEAR' (got 'BLUE_GREEN')"
    ]


@pytest.mark.parametrize("field", ["canary_size", "linear_step_size"])
def test_instance_count_sizes_are_refused_with_the_percent_to_use(field: str) -> None:
    type_ = "CANARY" if field == "canary_size" else "LINEAR"
    routing = _routing(type_, **{field: {"type": "INSTANCE_COUNT", "value": 20}})
    problem = _one_problem(_config(routing))
    assert problem.startswith(f"{ROUTING}.{field}.type: INSTANCE_COUNT sizes")
    assert "are not supported yet" in problem
    assert "both step by CAPACITY_PERCENT, a share of the traffic that moves" in problem


def test_a_size_needs_its_type_and_value() -> None:
    routing = _routing("CANARY", canary_size={"value": 10})
    assert _one_problem(_config(routing)) == f"{ROUTING}.canary_size.type: Field required"
    routing = _routing("CANARY", canary_size={"type": "CAPACITY_PERCENT"})
    assert _one_problem(_config(routing)) == f"{ROUTING}.canary_size.value: Field required"


# --- limits


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("canary_size", 0, "Input should be greater than or equal to 1"),
        ("canary_size", 51, "Input should be less than or equal to 50"),
        ("linear_step_size", 9, "Input should be greater than or equal to 10"),
        ("linear_step_size", 51, "Input should be less than or equal to 50"),
    ],
)
def test_size_limits(field: str, value: int, message: str) -> None:
    type_ = "CANARY" if field == "canary_size" else "LINEAR"
    routing = _routing(type_, **{field: _percent(value)})
    assert _one_problem(_config(routing)) == f"{ROUTING}.{field}.value: {message} (got {value})"


@pytest.mark.parametrize(
    ("field", "value"),
    [("canary_size", 1), ("canary_size", 50), ("linear_step_size", 10), ("linear_step_size", 50)],
)
def test_size_limits_are_inclusive(field: str, value: int) -> None:
    type_ = "CANARY" if field == "canary_size" else "LINEAR"
    routing = TrafficRoutingConfiguration.model_validate(_routing(type_, **{field: _percent(value)}))
    assert routing.step_percents[0] == value


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "Input should be greater than or equal to 0"), (3601, "Input should be less than or equal to 3600")],
)
def test_wait_interval_limits(value: int, message: str) -> None:
    assert _one_problem(_config(_routing(wait=value))) == (
        f"{ROUTING}.wait_interval_in_seconds: {message} (got {value})"
    )


def test_wait_interval_is_required_as_in_the_seed() -> None:
    problem = _one_problem(_config({"type": "ALL_AT_ONCE"}))
    assert problem == f"{ROUTING}.wait_interval_in_seconds: Field required"


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "Input should be greater than or equal to 0"), (3601, "Input should be less than or equal to 3600")],
)
def test_termination_wait_limits(value: int, message: str) -> None:
    assert _one_problem(_config(termination_wait_in_seconds=value)) == (
        f"{POLICY}.termination_wait_in_seconds: {message} (got {value})"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (599, "Input should be greater than or equal to 600"),
        (28801, "Input should be less than or equal to 28800"),
    ],
)
def test_execution_timeout_limits(value: int, message: str) -> None:
    assert _one_problem(_config(maximum_execution_timeout_in_seconds=value)) == (
        f"{POLICY}.maximum_execution_timeout_in_seconds: {message} (got {value})"
    )


def test_the_traffic_routing_configuration_is_required() -> None:
    problem = _one_problem({"blue_green_update_policy": {}})
    assert problem == f"{POLICY}.traffic_routing_configuration: Field required"


@pytest.mark.parametrize("field", ["retain", "canarySize"])
def test_unknown_fields_are_refused(field: str) -> None:
    problem = _one_problem(_config(_routing(**{field: 1})))
    assert problem == f"{ROUTING}.{field}: Extra inputs are not permitted (got 1)"


# --- the timeout exceeds the total wait


@pytest.mark.parametrize(
    ("steps", "wait", "termination", "total"),
    [(0, 600, 600, 0), (1, 0, 0, 0), (1, 300, 0, 300), (2, 600, 300, 1500), (10, 3600, 3600, 39600)],
)
def test_total_wait_formula(steps: int, wait: int, termination: int, total: int) -> None:
    assert total_wait_seconds(steps, wait, termination) == total


def test_the_timeout_must_exceed_the_total_wait() -> None:
    # LINEAR 25: four steps; 4 x 600 + 300 = 2700
    config = _config(
        _routing("LINEAR", wait=600), termination_wait_in_seconds=300, maximum_execution_timeout_in_seconds=2700
    )
    assert _one_problem(config) == (
        f"{POLICY}.maximum_execution_timeout_in_seconds: 2700 s must exceed the total wait of "
        "2700 s (4 steps x 600 s wait_interval_in_seconds + 300 s termination_wait_in_seconds); "
        "raise it above 2700"
    )
    config["blue_green_update_policy"]["maximum_execution_timeout_in_seconds"] = 2701
    policy = DeploymentConfig.model_validate(config).blue_green_update_policy
    assert policy is not None and policy.longest_wait_seconds == 2700


def test_a_total_wait_beyond_the_seeds_timeout_says_to_shorten_it() -> None:
    # LINEAR 10: ten steps of an hour, more than the 8 hours the timeout may be, even by default
    problem = _one_problem(_config(_routing("LINEAR", wait=3600, linear_step_size=_percent(10))))
    assert problem == (
        f"{POLICY}.maximum_execution_timeout_in_seconds: 28800 s must exceed the total wait of "
        "36000 s (10 steps x 3600 s wait_interval_in_seconds + 0 s termination_wait_in_seconds); "
        "the timeout can be at most 28800, so shorten the waits or take bigger steps"
    )


def test_an_all_at_once_step_counts_once() -> None:
    config = _config(_routing("ALL_AT_ONCE", wait=599), maximum_execution_timeout_in_seconds=600)
    policy = BlueGreenUpdatePolicy.model_validate(config["blue_green_update_policy"])
    assert policy.longest_wait_seconds == 599
    config = _config(_routing("ALL_AT_ONCE", wait=600), maximum_execution_timeout_in_seconds=600)
    assert "1 step x 600 s wait_interval_in_seconds" in _one_problem(config)


# --- alarms need a bake


def _alarm() -> dict[str, Any]:
    return {"alarm_name": "canary-errors", "metric": "5xx_ratio", "threshold": 0.01}


@pytest.mark.parametrize(
    "config",
    [
        {"auto_rollback_configuration": {"alarms": [_alarm()]}},
        {**_config(_routing("ALL_AT_ONCE", wait=0)), "auto_rollback_configuration": {"alarms": [_alarm()]}},
    ],
    ids=["no policy", "no wait"],
)
def test_alarms_with_nothing_to_bake_are_refused(config: dict[str, Any]) -> None:
    assert _one_problem(config) == (
        "deployment_config: auto_rollback_configuration.alarms: alarms are evaluated while a shift "
        "bakes, and this one never bakes; set blue_green_update_policy.traffic_routing_configuration."
        "wait_interval_in_seconds or blue_green_update_policy.termination_wait_in_seconds above 0"
    )


def test_a_termination_wait_is_a_bake_for_alarms() -> None:
    config = {
        **_config(_routing("ALL_AT_ONCE", wait=0), termination_wait_in_seconds=120),
        "auto_rollback_configuration": {"alarms": [_alarm()]},
    }
    rollback = DeploymentConfig.model_validate(config).auto_rollback_configuration
    assert rollback is not None and rollback.alarms is not None and len(rollback.alarms) == 1


def test_a_rollback_configuration_without_alarms_needs_no_bake() -> None:
    config = DeploymentConfig.model_validate({"auto_rollback_configuration": {}})
    assert config.auto_rollback_configuration is not None
    assert config.auto_rollback_configuration.alarms is None
