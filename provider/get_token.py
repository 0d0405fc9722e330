"""`python -m provider.get_token`: mint a token for a deployed endpoint (the seed's `get_token`).

    python -m provider.get_token --stack dev --endpoint fraud [--lifetime 3600] [--json]

Reads the stack's outputs with the Pulumi CLI (the signing key is a secret output, hence
`--show-secrets`; the key itself is never printed), then prints the token on the first line and
its `refresh_by` time (ISO 8601, UTC) on the second; with `--json`, one object
`{"endpoint", "token", "refresh_by", "expires_at"}`. Exit status 1 when the stack cannot be read
or lacks the endpoint's token settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import jwt

from provider.stack_outputs import StackOutputError, read_stack_outputs, token_settings
from provider.tokens import get_token

__all__ = ["main"]

DEFAULT_LIFETIME_SECONDS = 3600


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m provider.get_token",
        description="Mint an access token for an endpoint of a deployed stack.",
    )
    parser.add_argument(
        "--stack", required=True, help="Pulumi stack name, e.g. dev or org/project/dev."
    )
    parser.add_argument("--endpoint", required=True, help="Endpoint name as in the stack config.")
    parser.add_argument(
        "--lifetime",
        type=int,
        default=DEFAULT_LIFETIME_SECONDS,
        help=f"Token lifetime in seconds (default {DEFAULT_LIFETIME_SECONDS}).",
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument(
        "--cwd", default=None, help="Directory of Pulumi.yaml (passed to pulumi --cwd)."
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = token_settings(read_stack_outputs(args.stack, cwd=args.cwd), args.endpoint)
        token, refresh_by = get_token(
            settings.signing_key_pem,
            issuer=settings.issuer,
            audience=settings.audience,
            lifetime=timedelta(seconds=args.lifetime),
        )
    except (StackOutputError, ValueError) as error:
        print(f"get_token: {error}", file=sys.stderr)
        return 1
    if args.json:
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        document = {
            "endpoint": args.endpoint,
            "token": token,
            "refresh_by": refresh_by.isoformat(),
            "expires_at": datetime.fromtimestamp(expires, UTC).isoformat(),
        }
        print(json.dumps(document))
    else:
        print(token)
        print(refresh_by.isoformat())
    return 0


if __name__ == "__main__":
    sys.exit(main())
