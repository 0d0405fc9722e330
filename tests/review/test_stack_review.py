"""The review holds a valid new config to the rules a preview checks against the deployed state,
with the base standing for that state, in the providers' own words; and says what changed."""

from __future__ import annotations

import copy
from typing import Any

from provider.api_key_rules import ApiKeysInputs, rotation_problems
from provider.split_rules import TrafficSplitInputs, transition_problems
from review.stack_review import review_stack
from specification.stack_config import read_stack_config, validate_stack_config
from tests.review.review_cases import BASES_DIR

Config = dict[str, Any]


def _dev() -> Config:
    return read_stack_config(BASES_DIR / "Pulumi.dev.yaml")


def _versions(config: Config) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = config["model-endpoints:endpoints"][0]["versions"]
    return versions


def _provider_words(base: Config, head: Config) -> list[str]:
    """What the TrafficSplit's and ApiKeys' `check` say for the same change."""
    old, new = (validate_stack_config(c).endpoints[0] for c in (base, head))
    split = transition_problems(TrafficSplitInputs.from_endpoint(old), TrafficSplitInputs.from_endpoint(new))
    counters = ("primary_key_rotation", "secondary_key_rotation")
    keys = rotation_problems(
        ApiKeysInputs.model_validate(old.model_dump(include=set(counters))),
        ApiKeysInputs.model_validate(new.model_dump(include=set(counters))),
    )
    return [problem.reason for problem in split + keys]


def _errors(base: Config, head: Config) -> tuple[str, ...]:
    return review_stack("dev", "stacks/Pulumi.dev.yaml", base, head).errors


def test_removing_a_version_that_takes_traffic_is_an_error_in_the_preview_s_words() -> None:
    base = _dev()
    head = copy.deepcopy(base)
    del _versions(head)[1]
    (error,) = _errors(base, head)
    assert error.startswith("model-endpoints:endpoints[0].versions: version 'versionb' cannot be removed")
    assert error.endswith(_provider_words(base, head)[0])


def test_a_new_version_with_traffic_a_moved_default_and_a_lowered_counter() -> None:
    base = _dev()
    base["model-endpoints:endpoints"][0]["primary_key_rotation"] = 2
    head = copy.deepcopy(base)
    _versions(head).insert(0, {"name": "versionc", "image": "registry.example.com/c:1", "traffic_percentile": 5})
    head["model-endpoints:endpoints"][0]["primary_key_rotation"] = 1
    errors = _errors(base, head)
    words = _provider_words(base, head)
    assert len(errors) == len(words) == 3
    assert [error.split(": ", 1)[1] for error in errors] == [
        next(w for w in words if "would move" in w),
        next(w for w in words if "is new" in w),
        next(w for w in words if "went down" in w),
    ]
    assert errors[2].startswith("model-endpoints:endpoints[0].primary_key_rotation: ")


def test_an_unchanged_stack_and_an_unreadable_base() -> None:
    base = _dev()
    review = review_stack("dev", "stacks/Pulumi.dev.yaml", base, copy.deepcopy(base))
    assert review.valid and [e.change for e in review.endpoints] == ["unchanged"]
    review = review_stack("dev", "stacks/Pulumi.dev.yaml", {"config": 1}, base)
    assert review.base_note == "the config at the base is invalid, so everything is shown as added"
    assert [e.change for e in review.endpoints] == ["added"]


def _instance_count_canary(config: Config, pods: int) -> None:
    config["model-endpoints:endpoints"][0]["deployment_config"] = {
        "blue_green_update_policy": {
            "traffic_routing_configuration": {
                "type": "CANARY",
                "canary_size": {"type": "INSTANCE_COUNT", "value": pods},
                "wait_interval_in_seconds": 60,
            }
        }
    }


def test_a_canary_in_pods_is_planned_with_the_pods_of_the_versions_gaining_share() -> None:
    base = _dev()
    _versions(base)[1]["num_replicas"] = 4
    head = copy.deepcopy(base)
    _instance_count_canary(head, 1)
    share = _versions(base)[1]["traffic_percentile"]
    _versions(head)[1]["traffic_percentile"] = share + 20
    review = review_stack("dev", "stacks/Pulumi.dev.yaml", base, head)
    assert review.valid, review.errors
    (endpoint,) = review.endpoints
    assert endpoint.shift_policy is not None and endpoint.shift_policy.startswith("CANARY 1 pod,")
    # 1 pod of versionb's 4: a quarter of the change, then the rest
    assert [step.percent_of_change for step in endpoint.planned_steps] == [25.0, 100.0]
    assert endpoint.planned_steps[0].traffic["versionb"] == share + 5

    _instance_count_canary(head, 3)
    review = review_stack("dev", "stacks/Pulumi.dev.yaml", base, head)
    (error,) = review.errors
    assert error == (
        "model-endpoints:endpoints[0].deployment_config.blue_green_update_policy."
        "traffic_routing_configuration.canary_size.value: an INSTANCE_COUNT canary is at most "
        "half the fleet (the seed's rule), and 3 pods of a fleet of 4 pods is 75%; lower it to 2 "
        "or fewer"
    )
    assert review.endpoints[0].planned_steps == ()
