"""Which config changes `local apply` makes to a running run: routing and policy fields only; every
other difference is listed, path first, with the way out."""

from __future__ import annotations

from typing import Any

import pytest

from local_runtime.routing_change import (
    RestartRequiredError,
    default_move_problem,
    endpoint_differences,
    serving_differences,
    stack_differences,
)
from specification.endpoint import EndpointSpec


def _spec(**changes: Any) -> dict[str, Any]:
    versions = changes.pop("versions", None) or [
        {"name": "va", "inference_config": {"entry_script": "a.py"}},
        {"name": "vb", "traffic_percentile": 10, "inference_config": {"entry_script": "b.py"}},
    ]
    spec = EndpointSpec.model_validate({"name": "shop", "versions": versions, **changes})
    return spec.model_dump(mode="json")


def _with_version(index: int, **fields: Any) -> dict[str, Any]:
    spec = _spec()
    spec["versions"][index].update(fields)
    return EndpointSpec.model_validate(spec).model_dump(mode="json")


POLICY = {
    "blue_green_update_policy": {
        "traffic_routing_configuration": {
            "type": "CANARY",
            "canary_size": {"type": "CAPACITY_PERCENT", "value": 10},
            "wait_interval_in_seconds": 5,
        }
    }
}


def test_routing_and_policy_changes_are_not_differences() -> None:
    old = _spec()
    assert endpoint_differences(old, _with_version(1, traffic_percentile=40)) == []
    assert endpoint_differences(old, _with_version(1, is_default=True)) == []
    assert endpoint_differences(old, _with_version(0, is_control_version_type=True)) == []
    assert endpoint_differences(old, _spec(deployment_config=POLICY)) == []
    assert endpoint_differences(old, _spec(prometheus_url="http://127.0.0.1:9090")) == []
    reordered = _spec()
    reordered["versions"].reverse()
    assert endpoint_differences(old, reordered) == []


def test_everything_else_is_listed_with_its_path() -> None:
    old = _spec()
    assert endpoint_differences(old, _with_version(1, num_replicas=2)) == [
        "versions[vb].num_replicas: None -> 2"
    ]
    # a serving definition is not listed here: it is a blue/green replacement (below)
    assert endpoint_differences(
        old, _with_version(0, inference_config={"entry_script": "a2.py"}, env={"K": "1"})
    ) == []
    assert endpoint_differences(old, _spec(auth_enabled=False)) == ["auth_enabled: True -> False"]
    three = _spec(
        versions=[
            *old["versions"],
            {"name": "vc", "inference_config": {"entry_script": "c.py"}},
        ]
    )
    assert endpoint_differences(old, three) == ["versions: version vc added"]
    assert endpoint_differences(three, old) == ["versions: version vc removed"]


def test_a_models_change_is_a_replacement() -> None:
    """Green replicas link their generation's own models (`models-g2/`), so new `models` are a
    new serving definition, replaced blue/green like a new entry script."""
    model = {"name": "iris", "version": "3", "uri": "s3://models/iris/3"}
    old = _with_version(0, models=[model])
    new = _with_version(0, models=[{**model, "version": "4", "uri": "s3://models/iris/4"}])
    assert endpoint_differences(old, new) == []
    (changed,) = serving_differences(old, new)["va"]
    assert changed.startswith("versions[va].models: [{")


def test_long_values_are_cut_and_endpoints_added_or_removed_are_named() -> None:
    old = _spec()
    tagged = _spec(description="x" * 200)
    (line,) = endpoint_differences(old, tagged)
    assert line.startswith("description: '' -> 'xxx") and line.endswith("...") and len(line) < 100
    assert stack_differences({"shop": old}, {"shop": old, "bank": old}) == ["endpoint bank added"]
    assert stack_differences({"shop": old, "bank": old}, {"shop": old}) == [
        "endpoint bank removed"
    ]
    assert stack_differences({"shop": old}, {"shop": _spec(auth_enabled=False)}) == [
        "shop: auth_enabled: True -> False"
    ]


def test_a_serving_definition_change_is_listed_per_version() -> None:
    old = _spec()
    changed = _with_version(0, inference_config={"entry_script": "a2.py"}, env={"K": "1"})
    assert serving_differences(old, changed) == {
        "va": [
            "versions[va].env.K: None -> '1'",
            "versions[va].inference_config.entry_script: 'a.py' -> 'a2.py'",
        ]
    }
    assert serving_differences(old, _with_version(1, num_replicas=2)) == {}


def test_a_changed_script_under_the_same_path_is_a_serving_change() -> None:
    old = _spec()
    digests = {"va": "a" * 64, "vb": "b" * 64}
    assert serving_differences(old, old, digests, {**digests, "vb": "c" * 64}) == {
        "vb": ["versions[vb].inference_config.entry_script: content changed "
               "(sha256 bbbbbbbbbbbb... -> cccccccccccc...)"]
    }
    assert serving_differences(old, old, digests, digests) == {}
    assert serving_differences(old, old, {}, digests) == {}  # a run from before digests


def test_the_refusal_lists_every_difference_and_says_how_to_restart() -> None:
    error = RestartRequiredError("dev", ["shop: versions: version vc added", "shop: x: 1 -> 2"])
    message = str(error)
    assert message.startswith("the config of stack dev changed beyond what `local apply` changes")
    assert "  shop: versions: version vc added\n  shop: x: 1 -> 2\n" in message
    assert message.endswith(
        "restart the run to apply these: `model-endpoints local down --stack dev` then "
        "`model-endpoints local up --stack dev`"
    )
    assert error.differences == ("shop: versions: version vc added", "shop: x: 1 -> 2")


SCRIPT = {"entry_script": "a.py"}


def _endpoint(*names: str, default: str | None = None) -> EndpointSpec:
    return EndpointSpec.model_validate(
        {
            "name": "shop",
            "versions": [
                {"name": n, "is_default": n == default, "inference_config": SCRIPT}
                for n in names
            ],
        }
    )


@pytest.mark.parametrize(
    ("old", "new", "moves"),
    [
        (_endpoint("va", "vb"), _endpoint("vb", "va"), True),  # reordered: refused
        (_endpoint("va", "vb"), _endpoint("vb", "va", default="vb"), False),  # is_default moves it
        (_endpoint("va", "vb"), _endpoint("va", "vb", default="vb"), False),
        (_endpoint("va", "vb", default="vb"), _endpoint("va", "vb"), True),  # flag dropped
        (_endpoint("va", "vb"), _endpoint("va", "vb"), False),
        (_endpoint("va", "vb"), _endpoint("vb"), False),  # the old default left (refused elsewhere)
    ],
)
def test_the_default_moves_only_as_the_traffic_split_lets_it(
    old: EndpointSpec, new: EndpointSpec, moves: bool
) -> None:
    """Local mode may not import the provider (a Pulumi layer), so it holds the rule too; the two
    must agree, word for word."""
    from provider.split_rules import TrafficSplitInputs, default_move_problems

    problem = default_move_problem(old, new)
    provider = default_move_problems(
        TrafficSplitInputs.from_endpoint(old), TrafficSplitInputs.from_endpoint(new)
    )
    assert (problem is not None) == moves
    assert [p.reason for p in provider] == ([problem] if problem else [])
