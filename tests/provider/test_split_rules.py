"""The traffic split's rules and table, without Pulumi."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from provider.problems import problems_from_validation_error
from provider.split_rules import (
    TrafficSplitInputs,
    default_move_problems,
    joining_problems,
    removal_problems,
    routing,
    routing_changed,
    shift_problems,
    split_problems,
)
from tests.specs import endpoint, version


def split(
    shares: dict[str, float],
    default: str = "versiona",
    control: str | None = None,
    is_default_set: bool = False,
) -> TrafficSplitInputs:
    return TrafficSplitInputs(
        shares=shares, default_version=default, control_version=control, is_default_set=is_default_set
    )


def test_remainder_goes_to_the_default_in_exact_steps() -> None:
    table = routing(split({"versiona": 0, "versionb": 33.33, "versionc": 33.33}))
    assert table.steps == {"versiona": 3334, "versionb": 3333, "versionc": 3333}
    assert sum(table.steps.values()) == 10000
    assert table.traffic == {"versiona": 33.34, "versionb": 33.33, "versionc": 33.33}


def test_treatments_are_every_version_but_the_control() -> None:
    assert routing(split({"versiona": 50, "versionb": 50}, control="versionb")).treatments == ["versiona"]
    assert routing(split({"versionb": 50, "versiona": 50})).treatments == ["versiona", "versionb"]


def test_from_endpoint_takes_the_routers_whereabouts_policy_and_alarms_by_name() -> None:
    spec = endpoint(
        version("versiona", traffic_percentile=90),
        version("versionb", traffic_percentile=10),
        name="fraud",
        namespace="scoring",
        prometheus_url="http://prometheus:9090",
        deployment_config={
            "blue_green_update_policy": {
                "traffic_routing_configuration": {
                    "type": "LINEAR",
                    "linear_step_size": {"type": "CAPACITY_PERCENT", "value": 25},
                    "wait_interval_in_seconds": 60,
                }
            },
            "auto_rollback_configuration": {
                "alarms": [
                    {"alarm_name": "canary-5xx", "metric": "5xx_ratio", "threshold": 0.01},
                    {"alarm_name": "latency", "promql": "max(p99)", "threshold": 250},
                ]
            },
        },
    )
    inputs = TrafficSplitInputs.from_endpoint(spec)
    assert (inputs.endpoint, inputs.namespace) == ("fraud", "scoring")
    assert inputs.blue_green_update_policy == spec.deployment_config.blue_green_update_policy  # type: ignore[union-attr]
    assert inputs.alarms == {
        "canary-5xx": {"metric": "5xx_ratio", "threshold": 0.01, "window_seconds": 60, "min_requests": 20},
        "latency": {"promql": "max(p99)", "threshold": 250.0, "comparison_operator": "GreaterThanThreshold"},
    }
    assert inputs.prometheus_url == "http://prometheus:9090"
    assert inputs.kubeconfig is None and inputs.planned_steps is None
    assert shift_problems(inputs) == []


def test_from_endpoint_takes_shares_default_and_control() -> None:
    spec = endpoint(
        version("versiona", traffic_percentile=70),
        version("versionb", traffic_percentile=30, is_default=True, is_control_version_type=True),
    )
    inputs = TrafficSplitInputs.from_endpoint(spec)
    assert inputs == split(
        {"versiona": 70, "versionb": 30}, default="versionb", control="versionb", is_default_set=True
    ).model_copy(update={"endpoint": spec.name, "namespace": spec.effective_namespace})
    assert routing(inputs) == spec.routing
    assert not TrafficSplitInputs.from_endpoint(endpoint(version("versiona"))).is_default_set


def test_a_valid_split_has_no_problems() -> None:
    assert split_problems(split({"versiona": 60, "versionb": 40}, control="versiona")) == []


def test_shares_over_100_are_a_problem_of_shares() -> None:
    (problem,) = split_problems(split({"versiona": 70, "versionb": 40}))
    assert problem.property == "shares"
    assert "sum to 110, more than 100" in problem.reason and "versionb=40" in problem.reason


def test_default_and_control_must_be_versions() -> None:
    problems = split_problems(split({"versiona": 10}, default="versionz", control="versiony"))
    assert {p.property for p in problems} == {"default_version", "control_version"}
    assert all("not one of the versions (versiona)" in p.reason for p in problems)


def test_split_problems_are_the_routing_tables_own_rules() -> None:
    """The same words as the spec's, from the same function."""
    spec_error = "traffic_percentile values sum to 110, more than 100 (versiona=70, versionb=40)"
    (problem,) = split_problems(split({"versiona": 70, "versionb": 40}))
    assert problem.reason == spec_error + "; lower some shares"


@pytest.mark.parametrize(
    "fields",
    [
        {"shares": {"versiona": 101}, "default_version": "versiona"},
        {"shares": {"versiona": 10.005}, "default_version": "versiona"},
        {"shares": {"Version_A": 10}, "default_version": "versiona"},
        {"shares": {}, "default_version": "versiona"},
    ],
)
def test_field_rules_come_from_the_spec(fields: dict) -> None:
    with pytest.raises(ValidationError):
        TrafficSplitInputs.model_validate(fields)


def test_the_default_cannot_be_removed_while_it_is_the_default() -> None:
    old = split({"versiona": 0, "versionb": 100}, default="versiona")
    new = split({"versionb": 100}, default="versionb")
    (problem,) = removal_problems(old, new)
    assert problem.property == "shares"
    assert "'versiona'" in problem.reason and "while it is the default" in problem.reason


def test_a_version_with_traffic_cannot_be_removed_until_drained() -> None:
    old = split({"versiona": 90, "versionb": 10})
    (problem,) = removal_problems(old, split({"versiona": 100}))
    assert "'versionb'" in problem.reason and "10%" in problem.reason
    assert "set its traffic_percentile to 0" in problem.reason
    drained = split({"versiona": 100, "versionb": 0})
    assert removal_problems(drained, split({"versiona": 100})) == []


def test_adding_a_version_is_no_removal() -> None:
    assert removal_problems(split({"versiona": 100}), split({"versiona": 90, "versionb": 10})) == []


def test_routing_changes_on_shares_default_control_and_membership() -> None:
    old = split({"versiona": 90, "versionb": 10})
    assert routing_changed(old, split({"versiona": 60, "versionb": 40}))
    assert routing_changed(old, split({"versiona": 90, "versionb": 10}, control="versiona"))
    assert routing_changed(old, split({"versiona": 90, "versionb": 10}, default="versionb"))
    assert routing_changed(old, split({"versiona": 90, "versionb": 10, "versionc": 0}))


def test_rewording_the_same_table_is_no_routing_change() -> None:
    old = split({"versiona": 60, "versionb": 40})
    assert not routing_changed(old, split({"versiona": 0, "versionb": 40}))
    assert not routing_changed(old, split({"versionb": 40, "versiona": 60.0}))


# --- the default stays where it was created


def test_a_reorder_that_would_move_the_default_is_refused_with_the_fix() -> None:
    old = split({"versiona": 10, "versionb": 20}, default="versiona")
    reordered = split({"versionb": 20, "versiona": 10}, default="versionb")
    (problem,) = default_move_problems(old, reordered)
    assert problem.property == "default_version"
    assert "would move from 'versiona' to 'versionb'" in problem.reason
    assert "no version sets is_default" in problem.reason
    assert "Set is_default: true on 'versionb'" in problem.reason
    assert "or on 'versiona'" in problem.reason


def test_is_default_moves_the_default() -> None:
    old = split({"versiona": 10, "versionb": 20}, default="versiona")
    flagged = split({"versiona": 10, "versionb": 20}, default="versionb", is_default_set=True)
    assert default_move_problems(old, flagged) == []


def test_dropping_the_flag_must_not_move_the_default_either() -> None:
    old = split({"versiona": 10, "versionb": 20}, default="versionb", is_default_set=True)
    unflagged = split({"versiona": 10, "versionb": 20}, default="versiona")
    (problem,) = default_move_problems(old, unflagged)
    assert "from 'versionb' to 'versiona'" in problem.reason


def test_a_default_that_stays_needs_no_flag() -> None:
    old = split({"versiona": 10}, default="versiona")
    grown = split({"versiona": 10, "versionb": 20}, default="versiona")
    assert default_move_problems(old, grown) == []


# --- shift settings


def test_endpoint_and_namespace_come_together() -> None:
    (problem,) = shift_problems(split({"versiona": 100}).model_copy(update={"endpoint": "fraud"}))
    assert problem.property == "namespace" and "given together" in problem.reason


def test_a_promql_alarm_needs_a_prometheus() -> None:
    inputs = TrafficSplitInputs.model_validate(
        {
            "shares": {"versiona": 100},
            "default_version": "versiona",
            "alarms": {"latency": {"promql": "max(p99)", "threshold": 250}},
        }
    )
    (problem,) = shift_problems(inputs)
    assert problem.property == "alarms.latency" and "needs prometheus_url" in problem.reason
    assert shift_problems(inputs.model_copy(update={"prometheus_url": "http://prometheus:9090"})) == []


def test_alarms_are_the_specs_alarms_keyed_by_name() -> None:
    with pytest.raises(ValidationError, match="alarm 'canary-5xx' threshold: a 5xx_ratio threshold is a ratio"):
        TrafficSplitInputs.model_validate(
            {
                "shares": {"versiona": 100},
                "default_version": "versiona",
                "alarms": {"canary-5xx": {"metric": "5xx_ratio", "threshold": 5}},
            }
        )
    with pytest.raises(ValidationError, match="not a valid alarm name"):
        TrafficSplitInputs.model_validate(
            {"shares": {"versiona": 100}, "default_version": "versiona", "alarms": {"Bad_": {}}}
        )


def test_credentials_are_text_and_never_echoed() -> None:
    secret = {"token": "never-echo-this"}
    with pytest.raises(ValidationError) as raised:
        TrafficSplitInputs.model_validate(
            {"shares": {"versiona": 100}, "default_version": "versiona", "kubeconfig": secret}
        )
    problems = problems_from_validation_error(raised.value)
    assert [(p.property, p.reason) for p in problems] == [("kubeconfig", "must be text, got a dict")]
    text = TrafficSplitInputs.model_validate(
        {"shares": {"versiona": 100}, "default_version": "versiona", "kubeconfig": "token: never-echo-this"}
    )
    assert "never-echo-this" not in repr(text) and "never-echo-this" not in str(text)


def test_a_new_version_joins_at_zero_when_the_split_moves_live_routers() -> None:
    old = split({"versiona": 90, "versionb": 10}).model_copy(update={"endpoint": "fraud", "namespace": "fraud"})
    joined = old.model_copy(update={"shares": {"versiona": 80, "versionb": 10, "versionc": 10}})
    (problem,) = joining_problems(old, joined)
    assert problem.property == "shares"
    assert "version 'versionc' is new and would take 10% of the traffic at once" in problem.reason
    assert "add it at 0% first" in problem.reason
    at_zero = old.model_copy(update={"shares": {"versiona": 90, "versionb": 10, "versionc": 0}})
    assert joining_problems(old, at_zero) == []
    assert joining_problems(at_zero, joined) == []  # known to the routers now: its share may rise
    new_default = old.model_copy(update={"shares": {"versionb": 10, "versionc": 0}, "default_version": "versionc"})
    assert "'versionc' is new and would take 90%" in joining_problems(old, new_default)[0].reason
    # without live routing (no endpoint), the Router carries a new version's share
    assert joining_problems(split({"versiona": 90, "versionb": 10}), split({"versiona": 80, "versionb": 10, "versionc": 10})) == []


def test_recorded_inputs_without_the_flag_read_as_unflagged() -> None:
    """State written before `is_default_set` existed has no such input."""
    old = TrafficSplitInputs.model_validate({"shares": {"versiona": 10}, "default_version": "versiona"})
    assert old.is_default_set is False
