"""Tests for specification.names: the DNS-label rule for endpoint/version/pool names and the namespace rule."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from specification.endpoint import EndpointSpec
from specification.names import (
    RESOURCE_NAME_MAX,
    check_namespace,
    check_resource_name,
)
from specification.node_pool import NodePoolSpec
from specification.version import VersionSpec

LOWER = string.ascii_lowercase
LOWER_DIGITS = string.ascii_lowercase + string.digits
ALLOWED = set(LOWER_DIGITS + "-")

FAST = settings(max_examples=60, deadline=None)


def _version(name: str) -> VersionSpec:
    return VersionSpec(name=name, image="registry.example/model:1")


def _endpoint(name: str) -> EndpointSpec:
    return EndpointSpec(name=name, versions=[{"name": "v1", "image": "registry.example/model:1"}])


def _pool(name: str) -> NodePoolSpec:
    return NodePoolSpec(name=name, sku="Standard_NC6s_v3")


NAMED_MODELS: dict[str, Callable[[str], BaseModel]] = {
    "version": _version,
    "endpoint": _endpoint,
    "node_pool": _pool,
}


@st.composite
def resource_names(draw: st.DrawFn, max_len: int = RESOURCE_NAME_MAX) -> str:
    """A DNS-1035 label built independently of the source's regex."""
    first = draw(st.sampled_from(LOWER))
    length = draw(st.integers(min_value=1, max_value=max_len))
    if length == 1:
        return first
    middle = draw(st.text(alphabet=LOWER_DIGITS + "-", min_size=length - 2, max_size=length - 2))
    last = draw(st.sampled_from(LOWER_DIGITS))
    return first + middle + last


@st.composite
def namespaces(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from(LOWER_DIGITS))
    length = draw(st.integers(min_value=1, max_value=63))
    if length == 1:
        return first
    middle = draw(st.text(alphabet=LOWER_DIGITS + "-", min_size=length - 2, max_size=length - 2))
    last = draw(st.sampled_from(LOWER_DIGITS))
    return first + middle + last


forbidden_chars = st.characters().filter(lambda c: c not in ALLOWED)


@st.composite
def with_forbidden_char(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A valid name with one forbidden character inserted anywhere (still short enough)."""
    name = draw(base)
    position = draw(st.integers(min_value=0, max_value=len(name)))
    return name[:position] + draw(forbidden_chars) + name[position:]


def test_resource_name_max_is_31() -> None:
    # <endpoint>-<version> must stay a 63-character DNS label: 31 + 1 + 31.
    assert RESOURCE_NAME_MAX == 31
    assert 2 * RESOURCE_NAME_MAX + 1 <= 63


@pytest.mark.parametrize(
    "name", ["a", "v1", "versiona", "my-model-2", "a-b", "a--b", "z9", "a" * 31, "a" + "-" * 29 + "b"]
)
def test_valid_resource_names_are_returned_unchanged(name: str) -> None:
    assert check_resource_name(name) == name


INVALID_NAMES: dict[str, str] = {
    "empty": "",
    "leading space": " abc",
    "trailing space": "abc ",
    "inner space": "ab c",
    "tab": "ab\tc",
    "trailing newline": "abc\n",
    "leading newline": "\nabc",
    "inner newline": "ab\nc",
    "carriage return": "abc\r",
    "nul": "ab\x00c",
    "hash": "ab#c",
    "semicolon": "ab;c",
    "dollar": "ab$c",
    "percent": "ab%c",
    "single quote": "ab'c",
    "double quote": 'ab"c',
    "backtick": "ab`c",
    "slash": "ab/c",
    "backslash": "ab\\c",
    "comma": "ab,c",
    "colon": "ab:c",
    "dot": "ab.c",
    "underscore": "ab_c",
    "braces": "ab{c}",
    "uppercase": "Versiona",
    "all uppercase": "ABC",
    "non-ascii letter": "vérsion",
    "fullwidth letter": "ａbc",
    "kelvin sign": "\u212a",
    "leading hyphen": "-abc",
    "trailing hyphen": "abc-",
    "only hyphen": "-",
    "leading digit": "1abc",
    "too long": "a" * 32,
    "much too long": "a" * 64,
}


@pytest.mark.parametrize("name", list(INVALID_NAMES.values()), ids=list(INVALID_NAMES))
def test_check_resource_name_rejects_injection_and_malformed_names(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{name!r} is not a valid name: use 1-31 lowercase")):
        check_resource_name(name)


@pytest.mark.parametrize("model", list(NAMED_MODELS), ids=list(NAMED_MODELS))
@pytest.mark.parametrize("name", list(INVALID_NAMES.values()), ids=list(INVALID_NAMES))
def test_models_reject_invalid_names_on_the_name_field(model: str, name: str) -> None:
    with pytest.raises(ValidationError, match=r"\nname\n  Value error, .* is not a valid name"):
        NAMED_MODELS[model](name)


@pytest.mark.parametrize("model", list(NAMED_MODELS), ids=list(NAMED_MODELS))
def test_models_accept_a_31_character_name(model: str) -> None:
    name = "m" + "0" * 29 + "z"
    assert NAMED_MODELS[model](name).name == name  # type: ignore[attr-defined]


@FAST
@given(name=resource_names())
def test_generated_valid_names_are_accepted(name: str) -> None:
    assert check_resource_name(name) == name
    assert _version(name).name == name


@FAST
@given(name=with_forbidden_char(resource_names(max_len=RESOURCE_NAME_MAX - 1)))
def test_names_with_a_forbidden_character_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="is not a valid name"):
        check_resource_name(name)
    with pytest.raises(ValidationError, match=r"name\n  Value error"):
        _version(name)


@FAST
@given(name=resource_names(max_len=RESOURCE_NAME_MAX - 1), bad_edge=st.sampled_from(["-", "0", "9"]))
def test_names_must_start_with_a_letter(name: str, bad_edge: str) -> None:
    with pytest.raises(ValueError, match="is not a valid name"):
        check_resource_name(bad_edge + name)


@FAST
@given(name=resource_names(max_len=RESOURCE_NAME_MAX - 1))
def test_names_must_not_end_with_a_hyphen(name: str) -> None:
    with pytest.raises(ValueError, match="is not a valid name"):
        check_resource_name(name + "-")


@FAST
@given(name=resource_names(), extra=st.text(alphabet=LOWER, min_size=1, max_size=40))
def test_names_longer_than_31_are_rejected(name: str, extra: str) -> None:
    long_name = name + "a" * (RESOURCE_NAME_MAX - len(name)) + extra
    assert len(long_name) > RESOURCE_NAME_MAX
    with pytest.raises(ValueError, match="is not a valid name"):
        check_resource_name(long_name)


# --- namespaces


@pytest.mark.parametrize("namespace", ["a", "0", "1abc", "team-a", "a" * 63, "9" + "-" * 61 + "9"])
def test_valid_namespaces(namespace: str) -> None:
    assert check_namespace(namespace) == namespace


INVALID_NAMESPACES: dict[str, str] = {
    "empty": "",
    "leading hyphen": "-team",
    "trailing hyphen": "team-",
    "uppercase": "Team",
    "underscore": "team_a",
    "dot": "team.a",
    "space": "team a",
    "trailing newline": "team\n",
    "slash": "team/a",
    "non-ascii": "équipe",
    "too long": "a" * 64,
}


@pytest.mark.parametrize("namespace", list(INVALID_NAMESPACES.values()), ids=list(INVALID_NAMESPACES))
def test_invalid_namespaces_are_rejected(namespace: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{namespace!r} is not a valid namespace: up to 63")):
        check_namespace(namespace)
    with pytest.raises(ValidationError, match=r"\nnamespace\n  Value error, .* is not a valid namespace"):
        EndpointSpec(
            name="e", namespace=namespace, versions=[{"name": "v1", "image": "registry.example/m:1"}]
        )


@FAST
@given(namespace=namespaces())
def test_generated_valid_namespaces_are_accepted(namespace: str) -> None:
    assert check_namespace(namespace) == namespace


@FAST
@given(namespace=with_forbidden_char(namespaces().filter(lambda n: len(n) < 63)))
def test_namespaces_with_a_forbidden_character_are_rejected(namespace: str) -> None:
    with pytest.raises(ValueError, match="is not a valid namespace"):
        check_namespace(namespace)
