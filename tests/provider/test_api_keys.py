"""ApiKeys through the SDK's provider server, and its secret outputs under mocks.

Keys are compared through their hashes so that a failing assertion never prints a key.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from credentials.api_keys import api_key_sha256
from offline.program import run_under_mocks
from provider.api_keys import ApiKeys, ApiKeysArgs, ApiKeysProvider
from tests.provider.provider_server import ProviderClient, ProviderServer

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE


@pytest.fixture
def client(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, ApiKeysProvider(), "ApiKeys")
    client.configure()
    return client


def hashes(outputs: dict[str, Any]) -> tuple[str, str]:
    assert outputs["primary_key_sha256"] == api_key_sha256(outputs["primary_key"])
    assert outputs["secondary_key_sha256"] == api_key_sha256(outputs["secondary_key"])
    return outputs["primary_key_sha256"], outputs["secondary_key_sha256"]


def test_full_lifecycle_and_one_key_per_rotation(client: ProviderClient) -> None:
    checked = client.check({}, {})
    assert checked.failures == {}
    assert checked.inputs == {"primary_key_rotation": 0, "secondary_key_rotation": 0}
    id_, outputs = client.create(checked.inputs)
    primary, secondary = hashes(outputs)
    assert primary != secondary
    assert client.diff(id_, outputs, checked.inputs) == NONE

    news = client.check(checked.inputs, {"primary_key_rotation": 0, "secondary_key_rotation": 1}).inputs
    assert client.diff(id_, outputs, news) == SOME
    rotated = client.update(id_, outputs, news)
    new_primary, new_secondary = hashes(rotated)
    assert new_primary == primary and new_secondary != secondary

    news = client.check(news, {"primary_key_rotation": 1, "secondary_key_rotation": 1}).inputs
    assert client.diff(id_, rotated, news) == SOME
    rotated_again = client.update(id_, rotated, news)
    assert hashes(rotated_again)[0] not in (primary, new_primary)
    assert hashes(rotated_again)[1] == new_secondary

    assert client.read(id_, rotated_again) == (id_, rotated_again)
    client.delete(id_, rotated_again)


def test_lowering_a_counter_is_rejected(client: ProviderClient) -> None:
    olds = {"primary_key_rotation": 2, "secondary_key_rotation": 0}
    checked = client.check(olds, {"primary_key_rotation": 1})
    assert "went down from 2 to 1" in checked.failures["primary_key_rotation"]


def test_preview_with_an_unknown_counter_is_a_change(client: ProviderClient) -> None:
    id_, outputs = client.create(client.check({}, {}).inputs)
    news = {"primary_key_rotation": Unknown(), "secondary_key_rotation": 0}
    assert client.check({"primary_key_rotation": 0, "secondary_key_rotation": 0}, news).failures == {}
    assert client.diff(id_, outputs, news) == SOME


def test_keys_are_registered_as_secret_outputs(secret_outputs: dict[str, list[str]]) -> None:
    graph = run_under_mocks(lambda: ApiKeys("ep-api-keys", ApiKeysArgs(primary_key_rotation=1)))
    registered = graph.named("ep-api-keys")
    assert registered.type == "pulumi-python:dynamic/model-endpoints:ApiKeys"
    assert registered.inputs["primary_key_rotation"] == 1
    assert sorted(secret_outputs["ep-api-keys"]) == ["primary_key", "secondary_key"]
    assert "__provider" not in registered.secret_paths
