"""`model-endpoints keys | get-token`: an endpoint's credentials, local or from a deployed stack.

Both work the same against either: the local run of the stack if one is up (its key files and
signing key), else the deployed stack's outputs (`pulumi stack output --json --show-secrets`);
`--target local|stack` forces one. Keys and tokens go to stdout only with `--json` and to the
terminal (stderr) otherwise: they are printed because the user asked for them.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from cli.console import print_json, stderr_console
from cli.run_selection import layout_for
from local_runtime.access import (
    choose_endpoint,
    live_run,
    local_credentials,
    local_token,
)
from local_runtime.errors import LocalRunError
from local_runtime.project_files import check_stack_name

__all__ = ["resolve_target", "run_get_token", "run_keys"]


def resolve_target(args: argparse.Namespace) -> str:
    """`local` or `stack`: as asked, else local when the stack runs locally."""
    if args.target is not None:
        return str(args.target)
    try:
        layout = layout_for(check_stack_name(args.stack))
    except LocalRunError:
        return "stack"  # e.g. org/project/dev: never a local run
    return "local" if live_run(layout) is not None else "stack"


def _stack_outputs(args: argparse.Namespace) -> dict[str, Any]:
    from provider.stack_outputs import StackOutputError, read_stack_outputs

    try:
        return read_stack_outputs(args.stack, cwd=args.cwd)
    except StackOutputError as error:
        raise LocalRunError(
            f"stack {args.stack}: {error} (no local run of it is up either; "
            f"`model-endpoints local up --stack {args.stack}` starts one)"
        ) from None


def _deployed_endpoint(outputs: dict[str, Any], endpoint: str | None, stack: str) -> str:
    """The endpoint among those the stack program exports under `endpoints`."""
    exported = outputs.get("endpoints")
    names = sorted(exported) if isinstance(exported, dict) else []
    if endpoint is None and not names:
        raise LocalRunError(
            f"the deployed stack {stack} exports no endpoints: name one with --endpoint"
        )
    return (
        choose_endpoint(names, endpoint, f"the deployed stack {stack}") if names else str(endpoint)
    )


def run_keys(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    if target == "local":
        credentials = local_credentials(layout_for(args.stack), args.stack, args.endpoint)
        endpoint, primary, secondary = (
            credentials.endpoint,
            credentials.primary_key,
            credentials.secondary_key,
        )
    else:
        from provider.stack_outputs import endpoint_outputs

        outputs = _stack_outputs(args)
        endpoint = _deployed_endpoint(outputs, args.endpoint, args.stack)
        fields = endpoint_outputs(outputs, endpoint)
        primary, secondary = fields.get("primary_key"), fields.get("secondary_key")
    if not primary or not secondary:
        raise LocalRunError(f"endpoint {endpoint} has no API keys: its auth_enabled is false")
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
    if args.lifetime < 1:
        raise LocalRunError(f"--lifetime must be at least one second, got {args.lifetime}")
    lifetime = timedelta(seconds=args.lifetime)
    target = resolve_target(args)
    if target == "local":
        endpoint, token, refresh_by = local_token(
            layout_for(args.stack), args.stack, args.endpoint, lifetime
        )
    else:
        from provider.stack_outputs import StackOutputError, token_settings
        from provider.tokens import get_token

        outputs = _stack_outputs(args)
        endpoint = _deployed_endpoint(outputs, args.endpoint, args.stack)
        try:
            settings = token_settings(outputs, endpoint)
        except StackOutputError as error:
            raise LocalRunError(str(error)) from None
        try:
            token, refresh_by = get_token(
                settings.signing_key_pem,
                issuer=settings.issuer,
                audience=settings.audience,
                lifetime=lifetime,
            )
        except ValueError as error:
            raise LocalRunError(f"cannot mint a token: {error}") from None
    expires = datetime.fromtimestamp(
        jwt.decode(token, options={"verify_signature": False})["exp"], UTC
    )
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
