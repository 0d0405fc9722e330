"""Read a stack's `Pulumi.<stack>.yaml` and validate it with the spec, as `pulumi up` would.

Local mode must accept exactly the configs a deployment accepts, so the same `StackSpec` validates
the same config keys and a bad config fails with the same one-line-per-problem message. (The
stack program's `load_stack_spec` raises `pulumi.RunError`; importing Pulumi for that would cost
every command a second, so the message is built here from the same formatter.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from local_runtime.errors import LocalRunError
from specification.errors import format_validation_error
from specification.stack import StackSpec

__all__ = ["CONFIG_NAMESPACE", "LoadedStack", "load_stack", "parse_stack_config"]

CONFIG_NAMESPACE = "model-endpoints"
_ENDPOINTS = f"{CONFIG_NAMESPACE}:endpoints"
_NODE_POOLS = f"{CONFIG_NAMESPACE}:nodePools"


@dataclass(frozen=True)
class LoadedStack:
    """A validated stack config and where relative paths in it (entry scripts) start."""

    name: str
    config_file: Path
    source_dir: Path
    spec: StackSpec


def parse_stack_config(config: Mapping[str, object], where: str) -> StackSpec:
    """Validate the `config:` map of a stack file; LocalRunError with one line per problem."""
    if _ENDPOINTS not in config:
        raise LocalRunError(f"{where}: config has no {_ENDPOINTS}: nothing to run")
    try:
        return StackSpec.model_validate(
            {"endpoints": config[_ENDPOINTS], "nodePools": config.get(_NODE_POOLS) or []}
        )
    except ValidationError as error:
        lines = format_validation_error(error, CONFIG_NAMESPACE + ":")
        raise LocalRunError(f"invalid stack config {where}:\n{lines}") from None


def load_stack(stack: str, config_file: Path) -> LoadedStack:
    """Read and validate `config_file` (a `Pulumi.<stack>.yaml`)."""
    try:
        document = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise LocalRunError(f"cannot read stack config {config_file}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise LocalRunError(f"stack config {config_file} is not valid YAML: {error}") from None
    config = document.get("config") if isinstance(document, Mapping) else None
    if not isinstance(config, Mapping):
        raise LocalRunError(f"stack config {config_file} has no `config:` map")
    spec = parse_stack_config(config, str(config_file))
    resolved = config_file.resolve()
    return LoadedStack(name=stack, config_file=resolved, source_dir=resolved.parent, spec=spec)
