"""What a client of a local run needs: its keys and tokens, as a deployed stack's outputs give them.

`keys` and `get-token` work the same against a local run and a deployed stack; this module is the
local side: it finds the run of a stack, picks the endpoint, reads the stored keys and mints a
token with the run's signing key (issuer and audience as the router checks them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from local_runtime.credentials import EndpointCredentials, read_credentials
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.process_control import is_running
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import RunState, read_state

__all__ = ["choose_endpoint", "live_run", "local_credentials", "local_token"]


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
    """The keys of an endpoint of the local run (LocalRunError if its auth is off)."""
    state = _require(layout, stack)
    name = choose_endpoint(list(state.endpoints), endpoint, f"the local run of stack {stack}")
    return read_credentials(layout.keys_dir, name)


def local_token(
    layout: RunLayout, stack: str, endpoint: str | None, lifetime: timedelta
) -> tuple[str, str, datetime]:
    """`(endpoint, token, refresh_by)` for an endpoint of the local run."""
    from provider.tokens import get_token

    credentials = local_credentials(layout, stack, endpoint)
    if credentials.signing_key_pem is None:
        raise LocalRunError(
            f"endpoint {credentials.endpoint} does not accept tokens: set token_auth_enabled: true "
            "in its stack config"
        )
    token, refresh_by = get_token(
        credentials.signing_key_pem,
        issuer=credentials.issuer,
        audience=credentials.audience,
        lifetime=lifetime,
    )
    return credentials.endpoint, token, refresh_by
