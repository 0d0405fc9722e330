"""Credentials of a running local run, for its clients: its keys and tokens, as a deployed stack's
outputs give them.

`keys` and `get-token` work the same against a local run and a deployed stack; this module is the
local side: it finds the run of a stack, picks the endpoint, reads the keys `local up` stored
(`local_runtime.key_files`) and mints a token with the run's signing key (issuer and audience as
the router checks them). Every failure is a `LocalRunError` whose message says what to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from credentials.endpoint_credentials import EndpointCredentials
from credentials.signing_keys import load_signing_key
from credentials.tokens import get_token
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.key_files import read_credentials, signing_key_file
from local_runtime.process_control import is_running
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import RunState, read_state

__all__ = ["choose_endpoint", "live_run", "local_api_keys", "local_credentials", "local_token"]


def live_run(layout: RunLayout) -> RunState | None:
    """The run's state if its run directory exists and one of its routers is running."""
    state = read_state(layout)
    if state is None:
        return None
    routers = [p for p in state.processes if p.kind == "router"]
    return state if any(is_running(p, state.marker) for p in routers) else None


def choose_endpoint(names: list[str], endpoint: str | None, where: str) -> str:
    """`endpoint` if it is one of `names`; the only name when `endpoint` is None."""
    if endpoint is not None:
        if endpoint not in names:
            raise LocalRunError(
                f"{where} has no endpoint {endpoint!r} (endpoints: {', '.join(names)})"
            )
        return endpoint
    if len(names) != 1:
        raise LocalRunError(
            f"{where} has several endpoints ({', '.join(names)}): choose one with --endpoint"
        )
    return names[0]


def _require(layout: RunLayout, stack: str) -> RunState:
    state = read_state(layout)
    if state is None:
        raise NotRunningError(
            f"stack {stack} is not running locally; `model-endpoints local up --stack {stack}` "
            "starts it (or use --target stack for the deployed stack)"
        )
    return state


def local_credentials(layout: RunLayout, stack: str, endpoint: str | None) -> EndpointCredentials:
    """Everything stored for an endpoint of the local run (keys None where its auth is off)."""
    state = _require(layout, stack)
    name = choose_endpoint(list(state.endpoints), endpoint, f"the local run of stack {stack}")
    return read_credentials(layout.keys_dir, name)


def local_api_keys(layout: RunLayout, stack: str, endpoint: str | None) -> tuple[str, str, str]:
    """`(endpoint, primary_key, secondary_key)` of an endpoint of the local run."""
    credentials = local_credentials(layout, stack, endpoint)
    if not credentials.primary_key or not credentials.secondary_key:
        raise LocalRunError(
            f"endpoint {credentials.endpoint} has no API keys: its auth_enabled is false"
        )
    return credentials.endpoint, credentials.primary_key, credentials.secondary_key


def local_token(
    layout: RunLayout, stack: str, endpoint: str | None, lifetime: timedelta
) -> tuple[str, str, datetime]:
    """`(endpoint, token, refresh_by)` for an endpoint of the local run. ValueError for a
    lifetime under one second, as `get_token`."""
    credentials = local_credentials(layout, stack, endpoint)
    if credentials.signing_key_pem is None:
        raise LocalRunError(
            f"endpoint {credentials.endpoint} does not accept tokens: set token_auth_enabled: true "
            "in its stack config"
        )
    try:
        load_signing_key(credentials.signing_key_pem)
    except ValueError as error:  # the message never holds the key text
        path = signing_key_file(layout.keys_dir, credentials.endpoint)
        raise LocalRunError(
            f"cannot mint a token for endpoint {credentials.endpoint}: {error} ({path}); "
            f"`model-endpoints local down --stack {stack}` and `local up` make new keys"
        ) from None
    token, refresh_by = get_token(
        credentials.signing_key_pem,
        issuer=credentials.issuer,
        audience=credentials.audience,
        lifetime=lifetime,
    )
    return credentials.endpoint, token, refresh_by
