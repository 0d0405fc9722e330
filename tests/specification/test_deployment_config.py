"""Tests for specification.deployment_config: the shift policy's structure, every limit with its
field path, the steps a policy takes (an INSTANCE_COUNT converted with a fleet) and the total
wait the timeout must exceed."""

from __future__ import annotations

from fractions import Fraction
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


def _count(value: int) -> dict[str, Any]:
    return {"type": "INSTANCE_COUNT", "value": value}


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
    configuration = TrafficRoutingConfiguration.model_validate(routing)
    assert configuration.step_percents == percents
    # a percent size needs no fleet, and ignores one
    assert configuration.step_percents_for(None) == configuration.step_percents_for(7) == percents
    assert all(type(percent) is int for percent in configuration.step_percents)


def _count_routing(type_: str, value: int) -> TrafficRoutingConfiguration:
    field = "canary_size" if type_ == "CANARY" else "linear_step_size"
    return TrafficRoutingConfiguration.model_validate(_routing(type_, **{field: _count(value)}))


@pytest.mark.parametrize(
    ("type_", "value", "fleet", "percents"),
    [
        ("CANARY", 1, 2, (50, 100)),
        ("CANARY", 1, 4, (25, 100)),
        ("CANARY", 2, 4, (50, 100)),
        ("CANARY", 1, 3, (Fraction(100, 3), 100)),
        ("CANARY", 1, 100, (1, 100)),
        ("CANARY", 1, 1000, (Fraction(1, 10), 100)),
        ("LINEAR", 1, 2, (50, 100)),
        ("LINEAR", 2, 5, (40, 80, 100)),
        ("LINEAR", 3, 10, (30, 60, 90, 100)),
        ("LINEAR", 1, 10, tuple(range(10, 101, 10))),
        ("LINEAR", 1, 3, (Fraction(100, 3), Fraction(200, 3), 100)),
    ],
)
def test_an_instance_count_is_a_share_of_the_fleet(
    type_: str, value: int, fleet: int, percents: tuple[int | Fraction, ...]
) -> None:
    found = _count_routing(type_, value).step_percents_for(fleet)
    assert found == percents
    # exact: whole percents as ints, the others as fractions (never a float)
    assert [type(p) for p in found] == [int if p == int(p) else Fraction for p in percents]


CANARY_VALUE = f"{ROUTING}.canary_size.value"
LINEAR_VALUE = f"{ROUTING}.linear_step_size.value"


@pytest.mark.parametrize(
    ("type_", "value", "fleet", "message"),
    [
        (
            "CANARY", 3, 4,
            f"{CANARY_VALUE}: an INSTANCE_COUNT canary is at most half the fleet (the seed's "
            "rule), and 3 pods of a fleet of 4 pods is 75%; lower it to 2 or fewer",
        ),
        (
            "CANARY", 2, 2,
            f"{CANARY_VALUE}: an INSTANCE_COUNT canary is at most half the fleet (the seed's "
            "rule), and 2 pods of a fleet of 2 pods is 100% (the whole fleet); lower it to 1 or "
            "fewer",
        ),
        (
            "CANARY", 1, 1,
            f"{CANARY_VALUE}: an INSTANCE_COUNT canary is at most half the fleet (the seed's "
            "rule), and 1 pod of a fleet of 1 pod is 100% (the whole fleet); a fleet of 1 pod "
            "has no canary: use CAPACITY_PERCENT or ALL_AT_ONCE",
        ),
        (
            "LINEAR", 1, 11,
            f"{LINEAR_VALUE}: an INSTANCE_COUNT linear step is 10-50% of the fleet (the seed's "
            "limits), and 1 pod of a fleet of 11 pods is 9.091%; use 2-5 pods",
        ),
        (
            "LINEAR", 3, 5,
            f"{LINEAR_VALUE}: an INSTANCE_COUNT linear step is 10-50% of the fleet (the seed's "
            "limits), and 3 pods of a fleet of 5 pods is 60%; use 1-2 pods",
        ),
        (
            "LINEAR", 2, 3,
            f"{LINEAR_VALUE}: an INSTANCE_COUNT linear step is 10-50% of the fleet (the seed's "
            "limits), and 2 pods of a fleet of 3 pods is 66.67%; use 1 pod",
        ),
        (
            "LINEAR", 1, 1,
            f"{LINEAR_VALUE}: an INSTANCE_COUNT linear step is 10-50% of the fleet (the seed's "
            "limits), and 1 pod of a fleet of 1 pod is 100%; a fleet of 1 pod cannot be stepped: "
            "use CAPACITY_PERCENT, CANARY or ALL_AT_ONCE",
        ),
    ],
)
def test_an_instance_count_breaking_the_seeds_rule_names_field_rule_and_fleet(
    type_: str, value: int, fleet: int, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        _count_routing(type_, value).step_percents_for(fleet)
    assert str(error.value) == message


@pytest.mark.parametrize("type_", ["CANARY", "LINEAR"])
def test_an_instance_count_needs_a_fleet(type_: str) -> None:
    routing = _count_routing(type_, 1)
    field = "canary_size" if type_ == "CANARY" else "linear_step_size"
    for read in (lambda: routing.step_percents_for(None), lambda: routing.step_percents):
        needs_a_fleet = rf"^{ROUTING}\.{field}\.value: an INSTANCE_COUNT size counts pods"
        with pytest.raises(ValueError, match=needs_a_fleet):
            read()
    with pytest.raises(ValueError, match="needs a fleet of at least 1 pod to be a share of, got 0"):
        routing.step_percents_for(0)


@pytest.mark.parametrize(
    ("routing", "counts"),
    [
        (_routing("ALL_AT_ONCE"), (1, 1)),
        (_routing("CANARY"), (2, 2)),
        (_routing("CANARY", canary_size=_count(3)), (2, 2)),
        (_routing("LINEAR", linear_step_size=_percent(30)), (4, 4)),
        (_routing("LINEAR", linear_step_size=_count(3)), (2, 10)),
    ],
)
def test_the_step_count_range_covers_every_fleet(routing: dict[str, Any], counts: tuple[int, int]) -> None:
    assert TrafficRoutingConfiguration.model_validate(routing).step_count_range == counts


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


@pytest.mark.parametrize("value", [1, 20, 100])
@pytest.mark.parametrize("field", ["canary_size", "linear_step_size"])
def test_instance_count_sizes_are_accepted_from_one_pod_without_a_percent_range(
    field: str, value: int
) -> None:
    type_ = "CANARY" if field == "canary_size" else "LINEAR"
    config = DeploymentConfig.model_validate(_config(_routing(type_, **{field: _count(value)})))
    routing = config.traffic_routing_configuration
    assert routing is not None and routing.counts_instances
    assert routing.size is not None and (routing.size.type, routing.size.value) == ("INSTANCE_COUNT", value)


@pytest.mark.parametrize("field", ["canary_size", "linear_step_size"])
def test_an_instance_count_of_no_pod_is_refused(field: str) -> None:
    type_ = "CANARY" if field == "canary_size" else "LINEAR"
    problem = _one_problem(_config(_routing(type_, **{field: _count(0)})))
    assert problem == f"{ROUTING}.{field}.value: Input should be greater than or equal to 1 (got 0)"


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


def test_a_linear_instance_count_is_timed_at_its_fewest_steps_here_and_its_most_at_the_longest() -> None:
    # ceil(fleet / k) steps, 2 to 10: the spec refuses only what no fleet fits (2 x 600 + 0 = 1200)
    routing = _routing("LINEAR", wait=600, linear_step_size=_count(2))
    assert _one_problem(_config(routing, maximum_execution_timeout_in_seconds=1200)) == (
        f"{POLICY}.maximum_execution_timeout_in_seconds: 1200 s must exceed the total wait of "
        "1200 s (2 steps at the fewest (an INSTANCE_COUNT step is at most half the fleet) x 600 s "
        "wait_interval_in_seconds + 0 s termination_wait_in_seconds); raise it above 1200"
    )
    policy = DeploymentConfig.model_validate(_config(routing, maximum_execution_timeout_in_seconds=1201))
    assert policy.blue_green_update_policy is not None
    assert policy.blue_green_update_policy.longest_wait_seconds == 10 * 600


def test_an_instance_count_canary_is_timed_at_two_steps() -> None:
    routing = _routing("CANARY", wait=600, canary_size=_count(1))
    assert "(2 steps x 600 s" in _one_problem(_config(routing, maximum_execution_timeout_in_seconds=1200))


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
