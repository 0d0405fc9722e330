"""The review's only I/O: a stack config's text at a git ref and in the working tree.

The base is read with `git show <ref>:<path>`, never by checking the ref out, so the review runs
in any clone (a CI job's included) without touching the working tree. Paths are given relative to
the repository's top level, as git names them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ReviewSourceError", "StackFiles", "config_text_at", "repository_root", "stacks_at"]

_STACK_PREFIX, _STACK_SUFFIX = "Pulumi.", ".yaml"


class ReviewSourceError(Exception):
    """git cannot give what the review needs: not a repository, an unknown ref."""


def _git(repository: Path, arguments: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(repository), *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise ReviewSourceError("git is not installed: the review reads the base with git") from None


def repository_root(directory: Path) -> Path:
    """The top level of the git work tree `directory` lies in."""
    done = _git(directory, ["rev-parse", "--show-toplevel"])
    if done.returncode != 0:
        raise ReviewSourceError(f"{directory} is not in a git repository: {done.stderr.strip()}")
    return Path(done.stdout.strip())


def _check_ref(repository: Path, ref: str) -> None:
    if ref.startswith("-"):
        raise ReviewSourceError(f"--base {ref!r}: a git ref cannot start with '-'")
    done = _git(repository, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    if done.returncode != 0:
        raise ReviewSourceError(
            f"--base {ref!r} is not a commit of this repository (a shallow CI clone needs the base "
            "fetched, e.g. fetch-depth: 0)"
        )


def config_text_at(repository: Path, ref: str, path: str) -> str | None:
    """The text of `path` at `ref`, or None when the file does not exist there."""
    _check_ref(repository, ref)
    done = _git(repository, ["show", f"{ref}:{path}"])
    if done.returncode != 0:
        exists = _git(repository, ["cat-file", "-e", f"{ref}:{path}"])
        if exists.returncode != 0:
            return None
        raise ReviewSourceError(f"git show {ref}:{path} failed: {done.stderr.strip()}")
    return done.stdout


class StackFiles:
    """Where a project's stack configs live: `<config_dir>/Pulumi.<stack>.yaml`, `config_dir`
    relative to the repository's top level (`stacks`, or `.` for the top level itself)."""

    def __init__(self, repository: Path, config_dir: str) -> None:
        self.repository = repository
        self.config_dir = config_dir.strip("/") or "."

    def path(self, stack: str) -> str:
        """The stack's config file relative to the repository's top level, as git names it."""
        name = f"{_STACK_PREFIX}{stack}{_STACK_SUFFIX}"
        return name if self.config_dir == "." else f"{self.config_dir}/{name}"

    def working_text(self, stack: str) -> str | None:
        """The stack's config in the working tree, or None when there is none."""
        file = self.repository / self.path(stack)
        return file.read_text(encoding="utf-8") if file.is_file() else None


def _stack_names(names: Sequence[str]) -> list[str]:
    return [
        name[len(_STACK_PREFIX) : -len(_STACK_SUFFIX)]
        for name in names
        if name.startswith(_STACK_PREFIX) and name.endswith(_STACK_SUFFIX)
        and len(name) > len(_STACK_PREFIX) + len(_STACK_SUFFIX)
    ]


def stacks_at(files: StackFiles, ref: str) -> list[str]:
    """Every stack with a config in the working tree or at `ref`, sorted."""
    _check_ref(files.repository, ref)
    directory = files.repository / files.config_dir
    here = [path.name for path in directory.glob(f"{_STACK_PREFIX}*{_STACK_SUFFIX}")] if directory.is_dir() else []
    tree = f"{ref}:{'' if files.config_dir == '.' else files.config_dir}"
    listed = _git(files.repository, ["ls-tree", "--name-only", tree])
    there = listed.stdout.split("\n") if listed.returncode == 0 else []
    return sorted(set(_stack_names(here)) | set(_stack_names(there)))
