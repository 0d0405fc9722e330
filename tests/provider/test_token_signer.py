"""TokenSigner through the SDK's provider server, and its secret output under mocks."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from credentials.tokens import get_token
from offline.program import run_under_mocks
from provider.token_signer import TokenSigner, TokenSignerArgs, TokenSignerProvider
from tests.provider.provider_server import ProviderClient, ProviderServer

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE
INPUTS = {"issuer": "https://ep.example/issuer", "audience": "ep"}


@pytest.fixture
def client(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, TokenSignerProvider(), "TokenSigner")
    client.configure()
    return client


def test_full_lifecycle_and_rotation(client: ProviderClient) -> None:
    checked = client.check({}, INPUTS)
    assert checked.failures == {} and checked.inputs["token_signing_key_rotation"] == 0
    id_, outputs = client.create(checked.inputs)
    assert outputs["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    token, _ = get_token(
        outputs["private_key_pem"], issuer=outputs["issuer"], audience="ep", lifetime=timedelta(minutes=5)
    )
    claims = jwt.decode(token, outputs["public_key_pem"], algorithms=["ES256"], audience="ep")
    assert claims["iss"] == INPUTS["issuer"]
    assert client.diff(id_, outputs, checked.inputs) == NONE

    reissued = client.check(checked.inputs, {**INPUTS, "issuer": "https://other.example"}).inputs
    assert client.diff(id_, outputs, reissued) == SOME
    kept = client.update(id_, outputs, reissued)
    assert kept["key_id"] == outputs["key_id"] and kept["issuer"] == "https://other.example"

    rotation = client.check(reissued, {**reissued, "token_signing_key_rotation": 1}).inputs
    assert client.diff(id_, kept, rotation) == SOME
    rotated = client.update(id_, kept, rotation)
    assert rotated["key_id"] != kept["key_id"]
    assert rotated["public_key_pem"] != kept["public_key_pem"]

    assert client.read(id_, rotated) == (id_, rotated)
    client.delete(id_, rotated)


def test_bad_claims_and_a_lowered_counter_are_rejected(client: ProviderClient) -> None:
    checked = client.check({}, {"issuer": "has space", "audience": "ep"})
    assert set(checked.failures) == {"issuer"}
    olds, news = {**INPUTS, "token_signing_key_rotation": 2}, {**INPUTS, "token_signing_key_rotation": 1}
    checked = client.check(olds, news)
    assert set(checked.failures) == {"token_signing_key_rotation"}


def test_preview_with_an_unknown_issuer_is_a_change(client: ProviderClient) -> None:
    id_, outputs = client.create(client.check({}, INPUTS).inputs)
    news = {**INPUTS, "issuer": Unknown()}
    assert client.check(INPUTS, news).failures == {}
    assert client.diff(id_, outputs, news) == SOME


def test_the_private_key_is_registered_as_a_secret_output(secret_outputs: dict[str, list[str]]) -> None:
    graph = run_under_mocks(lambda: TokenSigner("ep-token-signer", TokenSignerArgs(**INPUTS)))
    registered = graph.named("ep-token-signer")
    assert registered.type == "pulumi-python:dynamic/model-endpoints:TokenSigner"
    assert secret_outputs["ep-token-signer"] == ["private_key_pem"]
    assert "__provider" not in registered.secret_paths
