"""The pack's five rules on what the components really register: the example stacks run under
Pulumi's mocks (`offline.program`), edited where a rule should fire, and the TrafficSplit's
inputs as its provider's `check` completes them (with `moved_percent`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UnknownValueError

from offline.program import run_stack
from offline.recording import RecordedResource
from provider.split_rules import TrafficSplitInputs
from provider.traffic_split import TrafficSplitProvider
from specification.stack_config import validate_stack_config
from tests.example_stacks import example_config
from tests.policy_pack.conftest import validation_args

from endpoint_policies import (  # noqa: E402  # the pack's folder, put on the path by conftest
    POLICIES,
    check_gpu_version_limits,
    check_guarded_traffic_shift,
    check_production_endpoint_auth,
    check_public_endpoint_tls,
    check_version_liveness_probe,
)

Validate = Callable[..., None]
Config = dict[str, Any]


def _registered(config: Config) -> list[RecordedResource]:
    return [r for r in run_stack(config).resources if r.custom]


@pytest.fixture(scope="module")
def gpu_stack() -> list[RecordedResource]:
    return _registered(example_config("gpu"))


def violations(
    validate: Validate,
    resources: list[RecordedResource],
    *,
    stack: str = "dev",
    config: Config | None = None,
    stack_tags: dict[str, str] | None = None,
) -> list[str]:
    found: list[str] = []
    for resource in resources:
        args = validation_args(
            resource.type, resource.name, resource.inputs, stack=stack, config=config, stack_tags=stack_tags
        )
        validate(args, lambda message, urn=None: found.append(message))
    return found


def _edited(stack: str, edit: Callable[[Config], None]) -> list[RecordedResource]:
    config = copy.deepcopy(example_config(stack))
    edit(config)
    return _registered(config)


def _endpoint(config: Config) -> dict[str, Any]:
    endpoint: dict[str, Any] = config["model-endpoints:endpoints"][0]
    return endpoint


ALL = [
    check_production_endpoint_auth,
    check_public_endpoint_tls,
    check_gpu_version_limits,
    check_version_liveness_probe,
    check_guarded_traffic_shift,
]


def test_the_policies_are_the_five_of_the_pack_with_their_levels() -> None:
    assert [(p.name, p.enforcement_level.value if p.enforcement_level else None) for p in POLICIES] == [
        ("production-endpoint-auth", "mandatory"),
        ("public-endpoint-tls", "mandatory"),
        ("gpu-version-limits", "advisory"),
        ("version-liveness-probe", "advisory"),
        ("guarded-traffic-shift", "mandatory"),
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_gpu_example_passes_every_rule(gpu_stack: list[RecordedResource], stack: str) -> None:
    for validate in ALL[:4]:
        assert violations(validate, gpu_stack, stack=stack) == [], validate.__name__


def _no_auth(config: Config) -> None:
    _endpoint(config).update(auth_enabled=False, token_auth_enabled=False)


def test_a_production_endpoint_without_auth_is_refused_by_stack_name_or_tag() -> None:
    open_dev = _edited("dev", _no_auth)
    assert violations(check_production_endpoint_auth, open_dev, stack="dev") == []
    (message,) = violations(check_production_endpoint_auth, open_dev, stack="prod-eu")
    assert message == (
        "endpoint 'mynewendpoint' is production (stack 'prod-eu' matches "
        "'^(prod|production)([-_.].*)?$') but takes requests without a credential: set "
        "auth_enabled: true (API keys) or token_auth_enabled: true (signed tokens)"
    )
    assert violations(check_production_endpoint_auth, open_dev, stack_tags={"environment": "production"})
    config = {"production_stack_pattern": "^live$", "production_tags": {"tier": "gold"}}
    assert violations(check_production_endpoint_auth, open_dev, stack="prod", config=config) == []
    assert violations(check_production_endpoint_auth, open_dev, stack="live", config=config)

    def tagged(config: Config) -> None:
        _no_auth(config)
        _endpoint(config)["tags"] = {"environment": "production"}

    (message,) = violations(check_production_endpoint_auth, _edited("dev", tagged))
    assert "(endpoint tag environment=production)" in message


def test_a_public_router_without_tls_is_refused(gpu_stack: list[RecordedResource]) -> None:
    def plaintext(config: Config) -> None:
        router = _endpoint(config)["router"]
        del router["tls_secret_name"]
        router["allow_plaintext_credentials"] = True

    (message,) = violations(check_public_endpoint_tls, _edited("gpu", plaintext))
    assert message.startswith("router Service 'vision-router' is public (type LoadBalancer) without TLS")
    assert "router.tls_secret_name" in message

    def cluster_ip(config: Config) -> None:
        plaintext(config)
        _endpoint(config)["router"]["service_type"] = "ClusterIP"

    assert violations(check_public_endpoint_tls, _edited("gpu", cluster_ip)) == []


def test_a_gpu_version_without_limits_is_named_with_the_fields_to_set() -> None:
    def no_limits(config: Config) -> None:
        version = _endpoint(config)["versions"][0]
        del version["cpu_cores_limit"], version["memory_gb_limit"]

    resources = _edited("gpu", no_limits)
    (message,) = violations(check_gpu_version_limits, resources)
    assert message == (
        "version Deployment 'vision-resnet-gpu' asks for nvidia.com/gpu but its container 'model' "
        "sets no cpu/memory limit: set cpu_cores_limit, memory_gb_limit"
    )
    assert violations(check_gpu_version_limits, resources, config={"accelerator_resources": ["amd.com/gpu"]}) == []
    (message,) = violations(check_gpu_version_limits, resources, config={"required_limits": ["memory"]})
    assert message.endswith("sets no memory limit: set memory_gb_limit")


def test_a_version_container_without_a_liveness_probe_is_named(gpu_stack: list[RecordedResource]) -> None:
    deployment = next(r for r in gpu_stack if r.name == "vision-resnet-fpga-deployment")
    inputs = copy.deepcopy(deployment.inputs)
    del inputs["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    bare = RecordedResource(deployment.urn, deployment.type, deployment.name, "", (), True, inputs)
    (message,) = violations(check_version_liveness_probe, [bare])
    assert message.startswith("version Deployment 'vision-resnet-fpga': container 'model' has no liveness probe")
    router = [r for r in gpu_stack if r.name == "vision-router-deployment"]
    assert violations(check_version_liveness_probe, router) == []  # the router's agent is not a version


def _checked_split(base: Config, head: Config) -> dict[str, Any]:
    """The TrafficSplit's inputs for `head` as its provider's check completes them against `base`."""

    def inputs(config: Config) -> dict[str, Any]:
        endpoint = validate_stack_config(config).endpoints[0]
        return TrafficSplitInputs.from_endpoint(endpoint).model_dump(mode="json", exclude_none=True)

    result = TrafficSplitProvider().check(inputs(base), inputs(head))
    assert not result.failures
    checked: dict[str, Any] = result.inputs
    return checked


def _split_violations(props: dict[str, Any], config: Config | None = None) -> list[str]:
    found: list[str] = []
    args = validation_args("pulumi-python:dynamic/model-endpoints:TrafficSplit", "e-traffic", props, config=config)
    check_guarded_traffic_shift(args, lambda message, urn=None: found.append(message))
    return found


def _shares(config: Config, **shares: float) -> Config:
    changed = copy.deepcopy(config)
    for version in _endpoint(changed)["versions"]:
        if version["name"] in shares:
            version["traffic_percentile"] = shares[version["name"]]
    return changed


def test_a_big_unguarded_shift_is_refused_and_a_guarded_or_small_one_passes() -> None:
    dev = example_config("dev")
    props = _checked_split(dev, _shares(dev, versiona=60, versionb=40))  # 90/10 -> 60/40
    assert props["moved_percent"] == 30.0
    (message,) = _split_violations(props)
    assert message == (
        "endpoint 'mynewendpoint': this change moves 30% of all traffic, more than 20% allowed "
        "unguarded; set deployment_config.blue_green_update_policy and "
        "auto_rollback_configuration.alarms (at least one alarm), so the shift is stepped and "
        "rolled back on a breach"
    )
    assert _split_violations(props, {"max_unguarded_shift_percent": 30}) == []
    assert _split_violations(_checked_split(dev, _shares(dev, versiona=10, versionb=20))) == []  # 10%

    gpu = example_config("gpu")
    guarded = _checked_split(gpu, _shares(gpu, **{"resnet-gpu": 40, "resnet-fpga": 60}))
    assert guarded["moved_percent"] == 30.0 and _split_violations(guarded) == []
    no_alarms = copy.deepcopy(gpu)
    del _endpoint(no_alarms)["deployment_config"]["auto_rollback_configuration"]
    (message,) = _split_violations(
        _checked_split(no_alarms, _shares(no_alarms, **{"resnet-gpu": 40, "resnet-fpga": 60}))
    )
    assert "set deployment_config.auto_rollback_configuration.alarms (at least one alarm)" in message


def test_a_split_from_before_moved_percent_is_not_applicable() -> None:
    with pytest.raises(_NotApplicableError):
        _split_violations({"shares": {"a": 100}, "default_version": "a"})


def test_a_share_unknown_in_a_preview_is_left_to_the_sdk_to_report() -> None:
    """The SDK turns UnknownValueError into an advisory "can't run during preview"."""
    with pytest.raises(UnknownValueError):
        _split_violations({"shares": {"a": UNKNOWN_NUMBER_VALUE}, "moved_percent": UNKNOWN_NUMBER_VALUE})


