"""The example stacks' config maps (`stacks/Pulumi.<stack>.yaml`), read as every caller reads one,
and the commented cloud variants of their node pools."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from offline.program import STACKS_DIR
from specification.stack_config import NODE_POOLS_KEY, read_stack_config, stack_config_file

__all__ = ["example_config", "cloud_variants", "with_cloud_variant"]

_VARIANT = re.compile(r"^# cloud-variant: (\w+)$")


def example_config(stack: str) -> dict[str, Any]:
    """The `config:` map of the example stack `stacks/Pulumi.<stack>.yaml`."""
    return read_stack_config(stack_config_file(STACKS_DIR, stack))


def cloud_variants(stack: str) -> dict[str, dict[str, Any]]:
    """`{cloud: pool}` from the commented `# cloud-variant: <cloud>` blocks of the example, each
    block one node pool entry as the comment shows it (uncommented)."""
    lines = stack_config_file(STACKS_DIR, stack).read_text(encoding="utf-8").splitlines()
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        marker = _VARIANT.match(line)
        if marker:
            current = blocks.setdefault(marker.group(1), [])
        elif current is not None and line.startswith("#   "):
            current.append(line[1:])
        else:
            current = None
    variants: dict[str, dict[str, Any]] = {}
    for cloud, block in blocks.items():
        (pool,) = yaml.safe_load("\n".join(block))
        variants[cloud] = pool
    return variants


def with_cloud_variant(config: dict[str, Any], pool: dict[str, Any]) -> dict[str, Any]:
    """`config` with the node pool of `pool`'s name replaced by `pool`, as the comment says."""
    changed = copy.deepcopy(config)
    pools = changed[NODE_POOLS_KEY]
    (index,) = [i for i, existing in enumerate(pools) if existing["name"] == pool["name"]]
    pools[index] = pool
    return changed
