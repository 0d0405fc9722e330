"""`model-endpoints keys | get-token`: an endpoint's credentials, local or from a deployed stack.

Both work the same against either: the local run of the stack if one is up (its key files and
signing key, `local_runtime.run_credentials`), else the deployed stack's outputs
(`pulumi stack output --json --show-secrets`, `credentials.stack_outputs`); `--target
local|stack` forces one. Keys and tokens go to stdout only with `--json` and to the terminal
(stderr) otherwise: they are printed because the user asked for them. A local run's failures are
`LocalRunError`s, a deployed stack's are `StackOutputError`s; `cli.main` reports either as one
message with exit status 1.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from cli.console import print_json, stderr_console
from cli.run_selection import layout_for
from credentials.endpoint_outputs import api_key_pair, chosen_endpoint, token_settings
from credentials.stack_outputs import StackOutputError, read_stack_outputs
from credentials.tokens import get_token, token_expires_at
from local_runtime.errors import LocalRunError
from local_runtime.project_files import check_stack_name
from local_runtime.run_credentials import live_run, local_api_keys, local_token

__all__ = ["resolve_target", "run_get_token", "run_keys", "stack_outputs"]


def resolve_target(args: argparse.Namespace) -> str:
    """`local` or `stack`: as asked, else local when the stack runs locally."""
    if args.target is not None:
        return str(args.target)
    try:
        layout = layout_for(check_stack_name(args.stack))
    except LocalRunError:
        return "stack"  # e.g. org/project/dev: never a local run
    return "local" if live_run(layout) is not None else "stack"


def stack_outputs(args: argparse.Namespace) -> dict[str, Any]:
    """The deployed stack's outputs; the error says whether a local run was looked for too."""
    try:
        return read_stack_outputs(args.stack, cwd=args.cwd)
    except StackOutputError as error:
        if args.target is not None:  # asked for the deployed stack: a local run is beside the point
            raise StackOutputError(f"stack {args.stack}: {error}") from None
        raise StackOutputError(
            f"stack {args.stack}: {error} (no local run of it is up either; "
            f"`model-endpoints local up --stack {args.stack}` starts one)"
        ) from None


def run_keys(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    if target == "local":
        endpoint, primary, secondary = local_api_keys(
            layout_for(args.stack), args.stack, args.endpoint
        )
    else:
        outputs = stack_outputs(args)
        endpoint = chosen_endpoint(outputs, args.endpoint, stack=args.stack)
        keys = api_key_pair(outputs, endpoint)
        primary, secondary = keys.primary_key, keys.secondary_key
    document = {
        "stack": args.stack,
        "endpoint": endpoint,
        "target": target,
        "primary_key": primary,
        "secondary_key": secondary,
    }
    if args.json:
        print_json(document)
    else:
        console = stderr_console()
        source = "local run" if target == "local" else "deployed stack"
        console.print(f"endpoint {endpoint} ({source} {args.stack})")
        console.print(f"  primary key    {primary}\n  secondary key  {secondary}")
    return 0


def run_get_token(args: argparse.Namespace) -> int:
    lifetime = timedelta(seconds=args.lifetime)  # at least one second: the parser checks it
    target = resolve_target(args)
    if target == "local":
        endpoint, token, refresh_by = local_token(
            layout_for(args.stack), args.stack, args.endpoint, lifetime
        )
    else:
        outputs = stack_outputs(args)
        endpoint = chosen_endpoint(outputs, args.endpoint, stack=args.stack)
        settings = token_settings(outputs, endpoint)  # its key is a usable ES256 key
        token, refresh_by = get_token(
            settings.signing_key_pem,
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=lifetime,
        )
    expires = token_expires_at(token)
    document = {
        "stack": args.stack,
        "endpoint": endpoint,
        "target": target,
        "token": token,
        "refresh_by": refresh_by.isoformat(),
        "expires_at": expires.isoformat(),
    }
    if args.json:
        print_json(document)
    else:
        console = stderr_console()
        console.print(token, soft_wrap=True)
        console.print(
            f"[dim]endpoint {endpoint}; refresh by {refresh_by.isoformat()}, "
            f"expires {expires.isoformat()}[/dim]"
        )
    return 0
