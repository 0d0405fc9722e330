"""EndpointRecord through the SDK's provider server: add-only properties fail `check`."""

from __future__ import annotations

import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from offline.program import run_under_mocks
from provider.endpoint_record import (
    EndpointRecord,
    EndpointRecordArgs,
    EndpointRecordProvider,
)
from tests.provider.provider_server import ProviderClient, ProviderServer
from tests.specs import endpoint, version

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE


@pytest.fixture
def client(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, EndpointRecordProvider(), "EndpointRecord")
    client.configure()
    return client


def test_full_lifecycle_with_an_added_property(client: ProviderClient) -> None:
    checked = client.check({}, {"description": "fraud model", "properties": {"team": "ml"}})
    assert checked.failures == {}
    assert checked.inputs["auth_enabled"] is True and checked.inputs["tags"] == {}
    id_, outputs = client.create(checked.inputs)
    assert outputs == checked.inputs
    assert client.diff(id_, outputs, checked.inputs) == NONE

    news = {**checked.inputs, "token_auth_enabled": True, "properties": {"team": "ml", "tier": "gold"}}
    added = client.check(checked.inputs, news)
    assert added.failures == {}
    assert client.diff(id_, outputs, added.inputs) == SOME
    updated = client.update(id_, outputs, added.inputs)
    assert updated["properties"] == {"team": "ml", "tier": "gold"} and updated["token_auth_enabled"] is True

    assert client.read(id_, updated) == (id_, updated)
    client.delete(id_, updated)


def test_changing_or_removing_a_property_is_rejected_naming_the_key(client: ProviderClient) -> None:
    olds = client.check({}, {"properties": {"team": "ml", "tier": "gold"}}).inputs
    checked = client.check(olds, {"properties": {"team": "research"}})
    assert set(checked.failures) == {"properties.team", "properties.tier"}
    assert "'team' cannot be changed from 'ml' to 'research'" in checked.failures["properties.team"]
    assert "'tier' cannot be removed" in checked.failures["properties.tier"]


def test_preview_with_unknown_tags_is_a_change(client: ProviderClient) -> None:
    inputs = client.check({}, {}).inputs
    id_, outputs = client.create(inputs)
    news = {**inputs, "tags": Unknown()}
    assert client.check(inputs, news).failures == {}
    assert client.diff(id_, outputs, news) == SOME


def test_registers_under_mocks_from_the_spec(secret_outputs: dict[str, list[str]]) -> None:
    spec = endpoint(version(), properties={"team": "ml"}, token_auth_enabled=True)
    graph = run_under_mocks(lambda: EndpointRecord("ep-record", EndpointRecordArgs.from_endpoint(spec)))
    registered = graph.named("ep-record")
    assert registered.type == "pulumi-python:dynamic/model-endpoints:EndpointRecord"
    assert registered.inputs["properties"] == {"team": "ml"}
    assert registered.inputs["token_auth_enabled"] is True
    assert secret_outputs["ep-record"] == []
