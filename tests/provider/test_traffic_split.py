"""TrafficSplit through the SDK's provider server (as the engine drives it), and under mocks."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from offline.program import run_under_mocks
from provider.traffic_split import TrafficSplit, TrafficSplitArgs
from tests.provider.provider_server import ProviderClient
from tests.specs import endpoint, version

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE


def split(shares: dict[str, Any], default: str = "versiona", **extra: Any) -> dict[str, Any]:
    return {"shares": shares, "default_version": default, **extra}


def created(client: ProviderClient, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    checked = client.check({}, inputs)
    assert checked.failures == {}
    id_, outputs = client.create(checked.inputs)
    return id_, checked.inputs, outputs


def test_full_lifecycle(client: ProviderClient) -> None:
    configured = client.configure()
    assert configured.acceptSecrets is False and configured.supportsPreview is False

    inputs = split({"versiona": 90, "versionb": 10}, control_version="versiona")
    id_, inputs, outputs = created(client, inputs)
    assert outputs["effective_traffic"] == {"versiona": 90.0, "versionb": 10.0}
    assert outputs["effective_steps"] == {"versiona": 9000, "versionb": 1000}
    assert outputs["treatments"] == ["versionb"] and outputs["control_version"] == "versiona"
    assert outputs["revision"] == 1

    assert client.diff(id_, outputs, inputs) == NONE

    news = client.check(inputs, split({"versiona": 60, "versionb": 40}, control_version="versiona")).inputs
    assert client.diff(id_, outputs, news) == SOME
    updated = client.update(id_, outputs, news)
    assert updated["effective_traffic"] == {"versiona": 60.0, "versionb": 40.0}
    assert updated["revision"] == 2

    read_id, read = client.read(id_, updated)
    assert (read_id, read) == (id_, updated)
    client.delete(id_, updated)


def test_a_role_change_is_a_change_and_bumps_the_revision(client: ProviderClient) -> None:
    id_, _, outputs = created(client, split({"versiona": 90, "versionb": 10}))
    news = split({"versiona": 90, "versionb": 10}, default="versionb", control_version="versionb")
    assert client.diff(id_, outputs, news) == SOME
    updated = client.update(id_, outputs, news)
    assert updated["revision"] == 2 and updated["treatments"] == ["versiona"]


def test_a_reworded_split_with_the_same_routing_is_no_change(client: ProviderClient) -> None:
    id_, _, outputs = created(client, split({"versiona": 60, "versionb": 40}))
    assert client.diff(id_, outputs, split({"versiona": 0, "versionb": 40.0})) == NONE


def test_preview_with_unknown_inputs_neither_fails_nor_claims_no_change(client: ProviderClient) -> None:
    id_, inputs, outputs = created(client, split({"versiona": 90, "versionb": 10}))
    news = split({"versiona": 90, "versionb": Unknown()})
    checked = client.check(inputs, news)
    assert checked.failures == {}
    assert isinstance(checked.inputs["shares"]["versionb"], Unknown)
    assert client.diff(id_, outputs, news) == SOME
    assert client.diff(id_, outputs, split({"versiona": 90}, default=Unknown())) == SOME


def test_preview_still_rejects_known_bad_shares_when_the_default_is_unknown(client: ProviderClient) -> None:
    checked = client.check({}, split({"versiona": 120, "versionb": 10}, default=Unknown()))
    assert set(checked.failures) == {"shares.versiona"}


def test_a_split_over_100_is_rejected_naming_shares(client: ProviderClient) -> None:
    checked = client.check({}, split({"versiona": 70, "versionb": 40}, control_version="versionc"))
    assert set(checked.failures) == {"shares", "control_version"}
    assert "sum to 110, more than 100" in checked.failures["shares"]


def test_bad_names_and_values_are_rejected_by_property(client: ProviderClient) -> None:
    checked = client.check({}, split({"versiona": 120, "Version_B": 10}))
    assert set(checked.failures) == {"shares.versiona", "shares.Version_B"}


def test_removing_a_version_needs_draining_first(client: ProviderClient) -> None:
    id_, inputs, outputs = created(client, split({"versiona": 80, "versionb": 20}))
    refused = client.check(inputs, split({"versiona": 100}))
    assert "'versionb' cannot be removed while it takes 20%" in refused.failures["shares"]
    refused = client.check(inputs, split({"versionb": 20}, default="versionb"))
    assert "'versiona' cannot be removed while it is the default" in refused.failures["shares"]

    drained = client.check(inputs, split({"versiona": 100, "versionb": 0})).inputs
    outputs = client.update(id_, outputs, drained)
    removed = client.check(drained, split({"versiona": 100}))
    assert removed.failures == {}
    assert client.diff(id_, outputs, removed.inputs) == SOME
    assert client.update(id_, outputs, removed.inputs)["effective_traffic"] == {"versiona": 100.0}


def test_registers_under_mocks_with_inputs_keyed_by_version(secret_outputs: dict[str, list[str]]) -> None:
    spec = endpoint(version("versiona", traffic_percentile=90), version("versionb", traffic_percentile=10))
    graph = run_under_mocks(lambda: TrafficSplit("ep-traffic", TrafficSplitArgs.from_endpoint(spec)))
    registered = graph.named("ep-traffic")
    assert registered.type == "pulumi-python:dynamic/model-endpoints:TrafficSplit"
    assert registered.inputs["shares"] == {"versiona": 90.0, "versionb": 10.0}
    assert registered.inputs["default_version"] == "versiona"
    assert secret_outputs["ep-traffic"] == []
    assert "__provider" not in registered.secret_paths


def test_a_reorder_moving_the_default_fails_the_preview(client: ProviderClient) -> None:
    id_, inputs, outputs = created(client, split({"versiona": 10, "versionb": 20}))
    reordered = split({"versionb": 20, "versiona": 10}, default="versionb")
    failures = client.check(inputs, reordered).failures
    assert list(failures) == ["default_version"]
    assert "Set is_default: true on 'versionb'" in failures["default_version"]
    flagged = client.check(inputs, {**reordered, "is_default_set": True})
    assert flagged.failures == {}
    assert client.diff(id_, outputs, flagged.inputs) == SOME
    assert client.update(id_, outputs, flagged.inputs)["effective_traffic"] == {
        "versiona": 10.0,
        "versionb": 90.0,
    }
