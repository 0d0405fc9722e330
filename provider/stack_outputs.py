"""Read a deployed stack's outputs through the Pulumi CLI and find one endpoint's token settings.

Layout this expects from the stack program: per endpoint, a map keyed by endpoint name under a
top-level export, holding `token_signing_key` (secret: the PEM private key), `token_issuer` and
`token_audience`, e.g. `endpoints: {fraud: {token_issuer: ..., ...}}`. The fields may be spread
over several such exports (a secret one for the key, a plain one for the rest): every top-level
export whose value is a map with the endpoint's name as a key contributes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TOKEN_SIGNING_KEY",
    "TOKEN_ISSUER",
    "TOKEN_AUDIENCE",
    "StackOutputError",
    "TokenSettings",
    "read_stack_outputs",
    "endpoint_outputs",
    "token_settings",
]

TOKEN_SIGNING_KEY = "token_signing_key"
TOKEN_ISSUER = "token_issuer"
TOKEN_AUDIENCE = "token_audience"


class StackOutputError(Exception):
    """The stack's outputs could not be read, or lack what a command needs."""


@dataclass(frozen=True)
class TokenSettings:
    """What minting a token for one endpoint needs. `repr` leaves the key out."""

    signing_key_pem: str = field(repr=False)
    issuer: str
    audience: str


def read_stack_outputs(
    stack: str, *, cwd: str | None = None, pulumi: str = "pulumi"
) -> dict[str, Any]:
    """`pulumi stack output --json --show-secrets --stack <stack>` as a dict."""
    executable = shutil.which(pulumi)
    if executable is None:
        raise StackOutputError(f"{pulumi!r} not found on PATH: install the Pulumi CLI")
    command: Sequence[str] = [
        executable, "stack", "output", "--json", "--show-secrets", "--stack", stack
    ]
    if cwd is not None:
        command = [*command, "--cwd", cwd]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackOutputError(
            f"pulumi stack output failed (exit {result.returncode}): {result.stderr.strip()}"
        )
    try:
        outputs = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise StackOutputError(f"pulumi stack output printed no JSON object: {error}") from None
    if not isinstance(outputs, dict):
        raise StackOutputError("pulumi stack output printed no JSON object")
    return outputs


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


def token_settings(outputs: Mapping[str, Any], endpoint: str) -> TokenSettings:
    """The signing key, issuer and audience the stack exports for `endpoint`."""
    fields = endpoint_outputs(outputs, endpoint)
    if not fields:
        known = ", ".join(_endpoint_names(outputs)) or "none"
        raise StackOutputError(f"the stack exports no endpoint {endpoint!r} (endpoints: {known})")
    missing = [
        name
        for name in (TOKEN_SIGNING_KEY, TOKEN_ISSUER, TOKEN_AUDIENCE)
        if not isinstance(fields.get(name), str) or not fields[name]
    ]
    if missing:
        raise StackOutputError(
            f"endpoint {endpoint!r} exports no {', '.join(missing)}: is token_auth_enabled true "
            "for it, and has `pulumi up` run since?"
        )
    return TokenSettings(fields[TOKEN_SIGNING_KEY], fields[TOKEN_ISSUER], fields[TOKEN_AUDIENCE])
