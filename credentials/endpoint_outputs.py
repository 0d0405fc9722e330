"""Find one endpoint's API keys and token settings in a deployed stack's outputs.

Layout this expects from the stack program: per endpoint, a map keyed by endpoint name under a
top-level export, e.g. `endpoints: {fraud: {token_issuer: ..., ...}}`. The fields may be spread
over several such exports (secret ones for the keys, a plain one for the rest): every top-level
export whose value is a map with the endpoint's name as a key contributes. The stack's endpoints
are the names under the `endpoints` export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from credentials.signing_keys import load_signing_key
from credentials.stack_outputs import StackOutputError

__all__ = [
    "ENDPOINTS",
    "PRIMARY_KEY",
    "SECONDARY_KEY",
    "TOKEN_AUDIENCE",
    "TOKEN_ISSUER",
    "TOKEN_SIGNING_KEY",
    "ApiKeyPair",
    "TokenSettings",
    "api_key_pair",
    "chosen_endpoint",
    "endpoint_outputs",
    "token_settings",
]

ENDPOINTS = "endpoints"
PRIMARY_KEY = "primary_key"
SECONDARY_KEY = "secondary_key"
TOKEN_SIGNING_KEY = "token_signing_key"
TOKEN_ISSUER = "token_issuer"
TOKEN_AUDIENCE = "token_audience"


@dataclass(frozen=True)
class ApiKeyPair:
    """An endpoint's two API keys. `repr` leaves both out."""

    primary_key: str = field(repr=False)
    secondary_key: str = field(repr=False)


@dataclass(frozen=True)
class TokenSettings:
    """What minting a token for one endpoint needs. `repr` leaves the key out."""

    signing_key_pem: str = field(repr=False)
    issuer: str
    audience: str


def endpoint_outputs(outputs: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    """The fields of every per-endpoint map for `endpoint`, merged (see the module docstring)."""
    merged: dict[str, Any] = {}
    for value in outputs.values():
        if isinstance(value, Mapping) and isinstance(value.get(endpoint), Mapping):
            merged.update(value[endpoint])
    return merged


def _endpoint_names(outputs: Mapping[str, Any]) -> list[str]:
    names = {
        name
        for value in outputs.values()
        if isinstance(value, Mapping)
        for name, fields in value.items()
        if isinstance(fields, Mapping)
    }
    return sorted(names)


def chosen_endpoint(outputs: Mapping[str, Any], endpoint: str | None, *, stack: str) -> str:
    """The endpoint a command means: `endpoint` if the stack exports it under `endpoints` (or
    exports no such list to check against), else the stack's only endpoint."""
    exported = outputs.get(ENDPOINTS)
    names = sorted(exported) if isinstance(exported, Mapping) else []
    where = f"the deployed stack {stack}"
    if endpoint is not None:
        if names and endpoint not in names:
            raise StackOutputError(
                f"{where} has no endpoint {endpoint!r} (endpoints: {', '.join(names)})"
            )
        return endpoint
    if not names:
        raise StackOutputError(f"{where} exports no endpoints: name one with --endpoint")
    if len(names) != 1:
        raise StackOutputError(
            f"{where} has several endpoints ({', '.join(names)}): choose one with --endpoint"
        )
    return names[0]


def _fields(outputs: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    fields = endpoint_outputs(outputs, endpoint)
    if not fields:
        known = ", ".join(_endpoint_names(outputs)) or "none"
        raise StackOutputError(f"the stack exports no endpoint {endpoint!r} (endpoints: {known})")
    return fields


def _missing(fields: Mapping[str, Any], *names: str) -> list[str]:
    return [name for name in names if not isinstance(fields.get(name), str) or not fields[name]]


def api_key_pair(outputs: Mapping[str, Any], endpoint: str) -> ApiKeyPair:
    """The primary and secondary key the stack exports for `endpoint`."""
    fields = _fields(outputs, endpoint)
    if _missing(fields, PRIMARY_KEY, SECONDARY_KEY):
        raise StackOutputError(f"endpoint {endpoint} has no API keys: its auth_enabled is false")
    return ApiKeyPair(fields[PRIMARY_KEY], fields[SECONDARY_KEY])


def token_settings(outputs: Mapping[str, Any], endpoint: str) -> TokenSettings:
    """The signing key, issuer and audience the stack exports for `endpoint`; the key is checked
    to be an ES256 private key, so minting with it cannot fail on the key."""
    fields = _fields(outputs, endpoint)
    missing = _missing(fields, TOKEN_SIGNING_KEY, TOKEN_ISSUER, TOKEN_AUDIENCE)
    if missing:
        raise StackOutputError(
            f"endpoint {endpoint!r} exports no {', '.join(missing)}: is token_auth_enabled true "
            "for it, and has `pulumi up` run since?"
        )
    try:
        load_signing_key(fields[TOKEN_SIGNING_KEY])
    except ValueError as error:  # the message never holds the key text
        raise StackOutputError(
            f"endpoint {endpoint!r} exports an unusable {TOKEN_SIGNING_KEY}: {error}"
        ) from None
    return TokenSettings(fields[TOKEN_SIGNING_KEY], fields[TOKEN_ISSUER], fields[TOKEN_AUDIENCE])
