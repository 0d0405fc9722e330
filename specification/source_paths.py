"""Files a spec names relative to the stack's directory (entry scripts), kept inside that directory.

An entry script's text goes into a ConfigMap that a preview shows, and local mode serves it, so a
path must not reach other files: the spec refuses an absolute path and any `..` segment (at
preview, the field named), and `resolve_in_stack_dir` resolves symbolic links where the file is
read and refuses a path that ends up outside the directory.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["OutsideStackDirError", "StackRelativePath", "check_stack_relative", "resolve_in_stack_dir"]


class OutsideStackDirError(ValueError):
    """A path a spec names resolves outside the stack's directory."""


def check_stack_relative(value: str) -> str:
    """Return `value` if it is a relative path without `..` segments, else raise
    OutsideStackDirError (a ValueError)."""
    if value.startswith("/"):
        raise OutsideStackDirError(
            f"{value!r} is an absolute path: give a path relative to the stack's directory "
            "(files outside it cannot be used)"
        )
    if ".." in value.split("/"):
        raise OutsideStackDirError(
            f"{value!r} has a '..' segment: give a path inside the stack's directory, without '..'"
        )
    return value


def resolve_in_stack_dir(stack_dir: Path, relative: str) -> Path:
    """`stack_dir / relative` with symbolic links resolved; OutsideStackDirError if that is not
    inside `stack_dir` (itself resolved)."""
    check_stack_relative(relative)
    root = stack_dir.resolve()
    resolved = (root / posixpath.normpath(relative)).resolve()
    if not resolved.is_relative_to(root) or resolved == root:
        raise OutsideStackDirError(
            f"{relative!r} resolves to {resolved}, outside the stack's directory {root} (through "
            "a symbolic link): the file must be inside that directory"
        )
    return resolved


# A path relative to the stack's directory that cannot leave it by its own segments.
StackRelativePath = Annotated[str, AfterValidator(check_stack_relative)]
