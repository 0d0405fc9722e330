"""A cluster blue/green replacement of a version, driven through the SDK's provider server as the
engine drives it: the preview of a version update (`check`), then the TrafficSplit's update that
creates green, waits for it and walks the version's traffic onto it, and the VersionSettle update
that folds green back and deletes it, against a fake API server with scripted router pods."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from components.manifests.green import green_deployment, green_service, serving_digest
from components.manifests.workload import deployment
from provider.replacement_rules import VersionServing
from provider.traffic_split import TrafficSplitProvider
from provider.version_settle import VersionSettleProvider
from specification.endpoint import EndpointSpec
from tests.kube_adapter.cluster_objects import ENDPOINT, NAMESPACE, router_pod, routing_config_map
from tests.kube_adapter.fake_api_server import FakeApiServer, RecordedRequest
from tests.kube_adapter.scripted_routers import ScriptedAgent, ScriptedMetrics
from tests.provider.provider_server import ProviderClient, ProviderServer
from tests.provider.test_split_walk import (
    CONFIG_MAP,
    ROUTERS,
    SOME,
    WALK_TIMEOUT,
    canary,
    files,
    five_xx_alarm,
    split_inputs,
)
from tests.specs import endpoint, version

GREEN = f"{ENDPOINT}-versionb-green"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
SERVICES = f"/api/v1/namespaces/{NAMESPACE}/services"


def _spec(image: str) -> EndpointSpec:
    return endpoint(
        version("versiona", traffic_percentile=90, num_replicas=2),
        version("versionb", traffic_percentile=10, num_replicas=2, image=image),
        name=ENDPOINT,
        namespace=NAMESPACE,
    )


def serving(image: str = "registry.example.com/model:1") -> dict[str, Any]:
    """`versions_serving` as the Endpoint gives it, for versionb running `image`."""
    spec = _spec(image)
    answer = {}
    for each in spec.versions:
        blue = deployment(spec, each, None)
        answer[each.name] = VersionServing(
            digest=serving_digest(blue),
            fleet=2,
            green_deployment=green_deployment(spec, each, blue, 2),
            green_service=green_service(spec, each),
        ).model_dump(mode="json")
    return answer


SHARES = {"versiona": 90, "versionb": 10}
NEW_IMAGE = "registry.example.com/model:2"


@pytest.fixture
def client(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, TrafficSplitProvider(), "TrafficSplit")
    client.configure()
    return client


@pytest.fixture
def settler(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, VersionSettleProvider(), "VersionSettle")
    client.configure()
    return client


def created(client: ProviderClient, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    checked = client.check({}, inputs)
    assert checked.failures == {}
    id_, outputs = client.create(checked.inputs)
    return id_, checked.inputs, outputs


def guarded(shares: dict[str, float], kubeconfig: Any, image: str, **extra: Any) -> dict[str, Any]:
    extra.setdefault("blue_green_update_policy", canary(25, wait=0))
    return split_inputs(shares, kubeconfig, versions_serving=serving(image), **extra)


def test_the_preview_of_a_version_update_shows_a_blue_green_replacement_and_its_steps(
    client: ProviderClient,
) -> None:
    id_, inputs, outputs = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1"))
    assert outputs["serving_digests"] == {name: s["digest"] for name, s in serving().items()}
    assert "replaced_version" not in outputs  # a create replaces nothing

    checked = client.check(inputs, guarded(SHARES, "/a/kubeconfig", NEW_IMAGE))

    assert checked.failures == {}
    assert checked.inputs["replaced_version"] == "versionb"
    assert checked.inputs["planned_replacement"] == [
        {"versiona": 90.0, "versionb": 7.5, "versionb_green": 2.5},
        {"versiona": 90.0, "versionb": 0.0, "versionb_green": 10.0},
    ]
    assert checked.inputs["planned_steps"] == []  # the routing itself does not change
    assert client.diff(id_, outputs, checked.inputs) == SOME


def test_without_a_policy_a_new_definition_is_recorded_and_not_replaced(client: ProviderClient) -> None:
    old = split_inputs(SHARES, "/a/kubeconfig", versions_serving=serving())
    id_, inputs, outputs = created(client, old)
    checked = client.check(inputs, split_inputs(SHARES, "/a/kubeconfig", versions_serving=serving(NEW_IMAGE)))
    assert checked.failures == {} and "replaced_version" not in checked.inputs
    assert client.diff(id_, outputs, checked.inputs) == SOME  # the new digest is recorded
    updated = client.update(id_, outputs, checked.inputs, timeout=WALK_TIMEOUT)
    assert updated["serving_digests"]["versionb"] == serving(NEW_IMAGE)["versionb"]["digest"]


def test_a_version_at_zero_percent_rolls_in_place(client: ProviderClient) -> None:
    shares = {"versiona": 100, "versionb": 0}
    _, inputs, _ = created(client, guarded(shares, "/a/kubeconfig", "registry.example.com/model:1"))
    checked = client.check(inputs, guarded(shares, "/a/kubeconfig", NEW_IMAGE))
    assert checked.failures == {} and "replaced_version" not in checked.inputs


def test_a_replacement_and_a_routing_change_in_one_up_are_refused_at_preview(client: ProviderClient) -> None:
    _, inputs, _ = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1"))
    refused = client.check(inputs, guarded({"versiona": 80, "versionb": 20}, "/a/kubeconfig", NEW_IMAGE))
    assert "versions_serving.versionb" in refused.failures
    assert "apply the two one after the other" in refused.failures["versions_serving.versionb"]


def test_two_versions_replaced_in_one_up_are_refused_at_preview(client: ProviderClient) -> None:
    _, inputs, _ = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1"))
    both = serving(NEW_IMAGE)
    both["versiona"] = {**both["versiona"], "digest": "0" * 64}
    refused = client.check(
        inputs, split_inputs(SHARES, "/a/kubeconfig", versions_serving=both, blue_green_update_policy=canary(25, wait=0))
    )
    assert "change one version's definition per `pulumi up`" in refused.failures["versions_serving"]
