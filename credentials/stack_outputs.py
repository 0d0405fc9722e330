"""Read a deployed stack's outputs, secrets included, through the Pulumi CLI.

`pulumi stack output --json --show-secrets` is the one way to read a stack's secret outputs (the
API keys and the token-signing key) without handling Pulumi's state or its encryption ourselves.
The outputs come back as a dict and are never logged; `credentials.endpoint_outputs` finds one
endpoint's fields in them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

__all__ = ["StackOutputError", "read_stack_outputs"]


class StackOutputError(Exception):
    """A deployed stack's outputs could not be read, or lack what a command needs; the message
    says which and how to fix it (and never holds a secret)."""


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
