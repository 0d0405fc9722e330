"""Provider hygiene shared by all four providers: small by-reference pickles, nothing captured,
`serialize_as_secret_always` off on purpose, unknown inputs tolerated in one place."""

from __future__ import annotations

import base64
import pickle
from pathlib import Path

import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

import provider as provider_package
from provider.api_keys import ApiKeysProvider
from provider.endpoint_record import EndpointRecordProvider
from provider.lifecycle import InputsProvider
from provider.token_signer import TokenSignerProvider
from provider.traffic_split import TrafficSplitProvider

# One valid input set per provider, and the same with one value unknown (as in a preview).
CASES: list[tuple[ResourceProvider, dict, dict]] = [
    (
        TrafficSplitProvider(),
        {"shares": {"versiona": 90.0, "versionb": 10.0}, "default_version": "versiona"},
        {"shares": {"versiona": 90.0, "versionb": Unknown()}, "default_version": "versiona"},
    ),
    (ApiKeysProvider(), {"primary_key_rotation": 1.0}, {"primary_key_rotation": Unknown()}),
    (
        TokenSignerProvider(),
        {"issuer": "https://ep.example", "audience": "ep"},
        {"issuer": Unknown(), "audience": "ep"},
    ),
    (EndpointRecordProvider(), {"properties": {"team": "ml"}}, {"properties": Unknown()}),
]
IDS = [type(case[0]).__name__ for case in CASES]


@pytest.mark.parametrize(("provider", "known", "unknown"), CASES, ids=IDS)
def test_pickled_by_reference_small_and_without_state(
    provider: ResourceProvider, known: dict, unknown: dict
) -> None:
    serialized = serialize_provider(provider)
    assert len(serialized) < 2048
    raw = base64.b64decode(serialized)
    assert type(provider).__module__.encode() in raw and type(provider).__qualname__.encode() in raw
    assert b"dill" not in raw  # by value, dill would pickle the class with its own helpers
    assert type(pickle.loads(raw)) is type(provider)
    assert vars(provider) == {}  # nothing captured: no client, socket or config
    assert isinstance(provider, InputsProvider)
    assert provider.serialize_as_secret_always is False


@pytest.mark.parametrize(("provider", "known", "unknown"), CASES, ids=IDS)
def test_check_validates_and_normalises(provider: InputsProvider, known: dict, unknown: dict) -> None:
    result = provider.check({}, known)
    assert result.failures == []
    given = {key: value for key, value in result.inputs.items() if key not in provider.derived}
    assert given == provider.parse(known).model_dump(mode="json", exclude_none=True)
    # computed, never given (a derived input with nothing to say, such as a split's
    # retained_shares when it retains nothing, is left out)
    assert set(result.inputs) - set(given) <= set(provider.derived)


def test_numbers_arriving_as_floats_are_cast() -> None:
    inputs = ApiKeysProvider().check({}, {"primary_key_rotation": 1.0, "secondary_key_rotation": 2.0}).inputs
    assert inputs == {"primary_key_rotation": 1, "secondary_key_rotation": 2}
    assert all(type(value) is int for value in inputs.values())
    created = TrafficSplitProvider().create({"shares": {"versiona": 50.0}, "default_version": "versiona"})
    outputs = created.outs or {}
    assert outputs["effective_steps"] == {"versiona": 10000} and type(outputs["revision"]) is int


@pytest.mark.parametrize(("provider", "known", "unknown"), CASES, ids=IDS)
def test_unknown_inputs_are_deferred_in_check_and_a_change_in_diff(
    provider: InputsProvider, known: dict, unknown: dict
) -> None:
    checked = provider.check(known, unknown)
    given = {key: value for key, value in checked.inputs.items() if key not in provider.derived}
    assert checked.failures == [] and given == unknown
    # what is computed from an unknown input is unknown too
    assert all(isinstance(checked.inputs[name], Unknown) for name in provider.derived)
    outputs = provider.create(provider.check({}, known).inputs).outs or {}
    assert provider.diff("id", outputs, unknown).changes is True
    assert provider.diff("id", outputs, provider.check({}, known).inputs).changes is False


def test_inputs_check_rejects_are_never_no_change() -> None:
    provider = TrafficSplitProvider()
    outputs = provider.create({"shares": {"versiona": 100.0}, "default_version": "versiona"}).outs or {}
    over = {"shares": {"versiona": 100.0, "versionb": 10.0}, "default_version": "versiona"}
    assert provider.diff("id", outputs, over).changes is True


def test_unknown_inputs_are_recognised_in_one_place() -> None:
    sources = {path.name: path.read_text() for path in Path(provider_package.__file__).parent.glob("*.py")}
    users = sorted(name for name, text in sources.items() if "contains_unknown(" in text)
    assert users == ["lifecycle.py", "unknowns.py"]
    assert not [name for name, text in sources.items() if "Unknown" in text and name != "unknowns.py"]


def test_known_fields_are_still_checked_while_others_are_unknown() -> None:
    checked = TrafficSplitProvider().check(
        {}, {"shares": {"versiona": 120.0, "Bad": 1.0}, "default_version": Unknown(), "colour": "red"}
    )
    assert {failure.property for failure in checked.failures} == {"shares.versiona", "shares.Bad", "colour"}
    checked = ApiKeysProvider().check({}, {"primary_key_rotation": -1.0, "secondary_key_rotation": Unknown()})
    assert [failure.property for failure in checked.failures] == ["primary_key_rotation"]
