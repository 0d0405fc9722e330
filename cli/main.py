"""`model-endpoints`: the command line's parser and dispatch (the console script's entry point).

    model-endpoints local up --stack dev [--config FILE] [--port N] [--on-image-version skip|fail]
    model-endpoints local apply --stack dev [--config FILE] [--json]
    model-endpoints local status [--stack dev] [--json]
    model-endpoints local down [--stack dev]
    model-endpoints keys --stack dev [--endpoint E] [--target local|stack] [--json]
    model-endpoints get-token --stack dev [--endpoint E] [--target local|stack] [--lifetime S] [--json]
    model-endpoints describe --stack dev [--endpoint E] [--target local|stack] [--json] [--topology]
    model-endpoints review --base REF [--stack NAME ...] [--format markdown|json]

Exit status: 0 done, 1 the command failed (the message says why: a local run's `LocalRunError`,
a deployed stack's `StackOutputError` or its cluster's `ClusterError`), 2 bad usage, 130
interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from cli.console import report_failure, stderr_console

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="Print one JSON object on stdout (messages stay on stderr).",
    )


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="Stack name, e.g. dev.")
    parser.add_argument("--endpoint", help="Endpoint name (default: the stack's only endpoint).")
    parser.add_argument(
        "--target",
        choices=("local", "stack"),
        help="local: the stack's local run; stack: the deployed stack's outputs (`pulumi stack "
        "output`). Default: the local run if one is up for the stack, else the deployed stack.",
    )
    parser.add_argument(
        "--cwd", help="Directory of Pulumi.yaml, for --target stack (pulumi --cwd)."
    )


def _lifetime_seconds(text: str) -> int:
    """`--lifetime`: whole seconds, at least one (a bad value is bad usage: exit status 2)."""
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"must be at least one second, got {seconds}")
    return seconds


def _apply_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from cli import apply_command

    apply = actions.add_parser(
        "apply",
        help="Move a running local run's traffic to the stack config, step by step.",
        description="Read the stack config again and apply its routing change (shares, default, "
        "control) to the running local run under each endpoint's deployment_config: the planned "
        "steps, each live on every router before its bake, the alarms read during the bakes, "
        "and a rollback on a breach (exit status 1, the message `pulumi up` gives). A shift left "
        "by a killed `local apply` is rolled back first. Any other change needs `local down` "
        "and `local up`.",
    )
    apply.add_argument(
        "--stack", required=True, help="Stack name: reads <stackConfigDir>/Pulumi.<stack>.yaml."
    )
    apply.add_argument("--config", help="The stack's config file instead.")
    _add_json(apply)
    apply.set_defaults(handler=apply_command.run_apply)


def _local_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from cli import local_commands

    local = commands.add_parser(
        "local",
        help="Run a stack on this machine: real inference servers and the real router on loopback.",
        description="Run a stack's endpoints on this machine, on 127.0.0.1 only: each "
        "inference-config version's replicas with Azure ML's inference server, and the router "
        "(HAProxy) with the configuration a cluster gets.",
    )
    actions = local.add_subparsers(
        dest="action", required=True, metavar="{up,apply,status,down}"
    )

    up = actions.add_parser(
        "up",
        help="Start a stack locally and return once everything answers.",
        description="Validate the stack config, build the versions' virtualenvs (cached), start "
        "every replica and the router, wait until all answer their health checks, then print the "
        "scoring URL, the keys and the effective traffic. Everything keeps running until "
        "`local down`.",
    )
    up.add_argument(
        "--stack", required=True, help="Stack name: reads <stackConfigDir>/Pulumi.<stack>.yaml."
    )
    up.add_argument(
        "--config", help="The stack's config file instead (entry scripts are relative to it)."
    )
    up.add_argument(
        "--port",
        type=int,
        default=None,
        help="Scoring port of the (first) endpoint; further endpoints take the next ports "
        "(default 8080).",
    )
    up.add_argument(
        "--on-image-version",
        choices=("skip", "fail"),
        default="skip",
        help="A version declared only with a container image cannot run locally: skip it (its "
        "traffic goes to the default version; the default) or fail.",
    )
    up.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="Seconds to wait for the replicas' init() and the router (default 120).",
    )
    _add_json(up)
    up.set_defaults(handler=local_commands.run_up)

    _apply_parser(actions)

    status = actions.add_parser(
        "status",
        help="Per version: replicas up, effective share, requests served.",
        description="Show a local run: per version the replicas running and in the router's "
        "rotation, its effective traffic share and the requests served since start (from the "
        "router's Prometheus metrics).",
    )
    status.add_argument("--stack", help="Stack name (default: the only local run).")
    _add_json(status)
    status.set_defaults(handler=local_commands.run_status)

    down = actions.add_parser(
        "down",
        help="Stop a local run and remove its files.",
        description="Stop exactly the processes `local up` started (by their recorded ids, "
        "after checking each is still ours), including what a crash left, and remove the run "
        "directory.",
    )
    down.add_argument("--stack", help="Stack name (default: the only local run).")
    down.set_defaults(handler=local_commands.run_down)


def build_parser() -> argparse.ArgumentParser:
    from cli import credential_commands, describe_command, review_command

    parser = argparse.ArgumentParser(
        prog="model-endpoints",
        description="Azure ML-style online endpoints: run a stack locally, get keys and tokens, "
        "describe an endpoint, review a change.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{local,keys,get-token,describe,review}"
    )
    _local_parser(commands)

    keys = commands.add_parser(
        "keys",
        help="Print an endpoint's API keys (local run or deployed stack).",
        description="Print the primary and secondary API keys of an endpoint, from the stack's "
        "local run or from the deployed stack's secret outputs.",
    )
    _add_target(keys)
    _add_json(keys)
    keys.set_defaults(handler=credential_commands.run_keys)

    token = commands.add_parser(
        "get-token",
        help="Mint an access token for an endpoint (local run or deployed stack).",
        description="Mint an ES256 access token (JWT) for an endpoint with token_auth_enabled, "
        "signed with the local run's or the deployed stack's signing key, and say when to "
        "refresh it.",
    )
    _add_target(token)
    token.add_argument(
        "--lifetime",
        type=_lifetime_seconds,
        default=3600,
        help="Token lifetime in seconds (default 3600).",
    )
    _add_json(token)
    token.set_defaults(handler=credential_commands.run_get_token)
    describe_command.add_describe_parser(commands)
    review_command.add_review_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    from credentials.stack_outputs import StackOutputError
    from kube_adapter.errors import ClusterError
    from local_runtime.errors import LocalRunError
    from specification.stack_config import StackConfigError

    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (
        LocalRunError, StackConfigError, StackOutputError, ClusterError, KeyboardInterrupt
    ) as error:
        return report_failure(stderr_console(), error)


if __name__ == "__main__":
    sys.exit(main())
