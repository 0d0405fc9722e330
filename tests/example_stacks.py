"""The example stacks' config maps (`stacks/Pulumi.<stack>.yaml`), read as every caller reads one."""

from __future__ import annotations

from typing import Any

from offline.program import STACKS_DIR
from specification.stack_config import read_stack_config, stack_config_file

__all__ = ["example_config"]


def example_config(stack: str) -> dict[str, Any]:
    """The `config:` map of the example stack `stacks/Pulumi.<stack>.yaml`."""
    return read_stack_config(stack_config_file(STACKS_DIR, stack))
