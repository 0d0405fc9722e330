"""A stack's config, read and validated once for every way a stack runs.

`pulumi up` (the stack program), `model-endpoints local up` and the mocked preview all start from
the `config:` map of a `Pulumi.<stack>.yaml`, whose keys are namespaced by the project's name
(`model-endpoints:endpoints`, `model-endpoints:nodePools`). Reading and validating it here means
they accept exactly the same configs and report a bad one with the same lines, config path first.
pydantic and pyyaml only: no Pulumi, so the command line and the mocks can use it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from specification.errors import format_validation_error
from specification.stack import StackSpec

__all__ = [
    "ENDPOINTS",
    "ENDPOINTS_KEY",
    "NODE_POOLS",
    "NODE_POOLS_KEY",
    "PROJECT_NAME",
    "LoadedStack",
    "StackConfigError",
    "load_stack",
    "parse_stack_config",
    "read_stack_config",
    "stack_config_file",
    "validate_stack_config",
]

PROJECT_NAME = "model-endpoints"  # `name:` in Pulumi.yaml, so also the namespace of the config keys
ENDPOINTS = "endpoints"  # config keys within the namespace, as `pulumi.Config(PROJECT_NAME)` reads them
NODE_POOLS = "nodePools"
ENDPOINTS_KEY = f"{PROJECT_NAME}:{ENDPOINTS}"  # the same keys as a stack file spells them
NODE_POOLS_KEY = f"{PROJECT_NAME}:{NODE_POOLS}"


class StackConfigError(ValueError):
    """A stack config that cannot be read or is invalid.

    The message is what the user reads, printed as it is: for an invalid config a heading
    (`invalid stack config <file>:`) and then `problems`, one line per problem with the config
    key and path first (`model-endpoints:endpoints[0].versions[1].gpu_cores: ...`); for a file
    that cannot be read, one line naming the file and the reason.
    """

    def __init__(self, message: str, problems: str = "") -> None:
        super().__init__(f"{message}\n{problems}" if problems else message)
        self.problems = problems

    @classmethod
    def invalid(cls, problems: str, config_file: Path | None = None) -> StackConfigError:
        """`problems` (one per line, config path first) in the config of `config_file`."""
        where = f" {config_file}" if config_file is not None else ""
        return cls(f"invalid stack config{where}:", problems)


@dataclass(frozen=True)
class LoadedStack:
    """A validated stack config and where relative paths in it (entry scripts) start."""

    name: str
    config_file: Path
    source_dir: Path
    spec: StackSpec


def stack_config_file(config_dir: Path, stack: str) -> Path:
    """`<config_dir>/Pulumi.<stack>.yaml`: the file Pulumi reads a stack's config from."""
    return config_dir / f"Pulumi.{stack}.yaml"


def validate_stack_config(
    config: Mapping[str, object], config_file: Path | None = None
) -> StackSpec:
    """The `StackSpec` of a stack's `config:` map (keys `model-endpoints:...`; other namespaces,
    e.g. `kubernetes:context`, are not ours and are left alone). StackConfigError lists every
    problem; `config_file` only names the file in its heading."""
    if ENDPOINTS_KEY not in config:
        raise StackConfigError.invalid(
            f"{ENDPOINTS_KEY}: Field required (the config has no endpoints: nothing to run)",
            config_file,
        )
    raw = {ENDPOINTS: config[ENDPOINTS_KEY], NODE_POOLS: config.get(NODE_POOLS_KEY) or []}
    try:
        return StackSpec.model_validate(raw)
    except ValidationError as error:
        problems = format_validation_error(error, f"{PROJECT_NAME}:")
        raise StackConfigError.invalid(problems, config_file) from None


def parse_stack_config(text: str, source: str) -> dict[str, object]:
    """The `config:` map of a `Pulumi.<stack>.yaml`'s text, not yet validated; `source` names
    where the text comes from in errors (a file, or `<ref>:<path>` for a git revision)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StackConfigError(f"stack config {source} is not valid YAML: {error}") from None
    config = document.get("config") if isinstance(document, Mapping) else None
    if not isinstance(config, Mapping):
        raise StackConfigError(f"stack config {source} has no `config:` map")
    return {str(key): value for key, value in config.items()}


def read_stack_config(config_file: Path) -> dict[str, object]:
    """The `config:` map of a `Pulumi.<stack>.yaml`, not yet validated."""
    try:
        text = config_file.read_text(encoding="utf-8")
    except OSError as error:
        raise StackConfigError(
            f"cannot read stack config {config_file}: {error.strerror}"
        ) from None
    return parse_stack_config(text, str(config_file))


def load_stack(stack: str, config_file: Path) -> LoadedStack:
    """Read and validate `config_file`, the `Pulumi.<stack>.yaml` of stack `stack`."""
    spec = validate_stack_config(read_stack_config(config_file), config_file)
    resolved = config_file.resolve()
    return LoadedStack(name=stack, config_file=resolved, source_dir=resolved.parent, spec=spec)
