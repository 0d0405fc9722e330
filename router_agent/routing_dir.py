"""The routing directory: a table's files laid out as kubelet lays out a ConfigMap volume.

    <dir>/..data -> ..2025_01_31_12_00_00.123456789/    the current generation (a relative link)
    <dir>/..2025_01_31_12_00_00.123456789/split.map     the files themselves
    <dir>/split.map -> ..data/split.map                 what HAProxy's config names
    <dir>/revision  -> ..data/revision

A change is a new generation: its files go into a new timestamped directory, a `..data_tmp` link
to it is renamed over `..data` (rename is atomic, so a reader sees the old generation or the new
one, never a mix), then the old directory is removed. `write_generation` does exactly that, so
local mode and the tests run the very layout and swap a cluster's router pod sees; the agent
reads a generation through one `readlink` of `..data` (`read_generation`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATA_LINK",
    "REVISION_FILE",
    "SPLIT_MAP_FILE",
    "Generation",
    "data_target",
    "read_generation",
    "routing_files",
    "write_generation",
]

DATA_LINK = "..data"
_NEW_DATA_LINK = "..data_tmp"
SPLIT_MAP_FILE = "split.map"
REVISION_FILE = "revision"
_MAX_FILE_BYTES = 1 << 20  # a ConfigMap holds at most 1 MiB
_READ_ATTEMPTS = 20


@dataclass(frozen=True)
class Generation:
    """One generation of the directory: the `..data` target and its files' text."""

    target: str
    files: Mapping[str, str]


def routing_files(split_map: str, revision: int) -> dict[str, str]:
    """The files of a routing table: the split map's text and the revision (the ConfigMap's data)."""
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise ValueError(f"revision {revision!r} is not a non-negative integer")
    return {SPLIT_MAP_FILE: split_map, REVISION_FILE: f"{revision}\n"}


def _check_name(name: str) -> str:
    if not name or "/" in name or name.startswith("..") or name in (".", ".."):
        raise ValueError(f"file name {name!r} is not allowed in a routing directory")
    return name


def data_target(directory: Path) -> str | None:
    """The current generation's directory name (`..data`'s target), None before the first."""
    try:
        return os.readlink(directory / DATA_LINK)
    except FileNotFoundError:
        return None


def _write_file(path: Path, text: str, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), mode)  # the mode given, whatever the umask
        handle.write(text)


def _unchanged(directory: Path, target: str | None, files: Mapping[str, str]) -> bool:
    if target is None:
        return False
    try:
        current = {p.name for p in (directory / target).iterdir()}
        return current == set(files) and all(
            (directory / target / name).read_text(encoding="utf-8") == text
            for name, text in files.items()
        )
    except OSError:
        return False


def write_generation(directory: Path, files: Mapping[str, str], *, file_mode: int = 0o644) -> str:
    """Make `files` (name -> text) the directory's content as kubelet does; returns the new
    generation's directory name (the current one when `files` equal it: nothing is written).

    Files get `file_mode` (kubelet's default 0644); directories get 0755, or 0700 when the files
    are private. One writer at a time, as with kubelet: the function holds no lock."""
    for name in files:
        _check_name(name)
    private = file_mode & 0o077 == 0
    dir_mode = 0o700 if private else 0o755
    if not directory.is_dir():
        directory.mkdir(parents=True)
        os.chmod(directory, dir_mode)  # the mode given, whatever the umask
    old = data_target(directory)
    if _unchanged(directory, old, files):
        assert old is not None
        return old
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    new = Path(tempfile.mkdtemp(prefix=stamp, dir=directory))
    try:
        os.chmod(new, dir_mode)
        for name, text in files.items():
            _write_file(new / name, text, file_mode)
        for name in files:  # the visible names link through ..data, so they never change
            if not os.path.lexists(directory / name):
                os.symlink(f"{DATA_LINK}/{name}", directory / name)
        staged = directory / _NEW_DATA_LINK
        if os.path.lexists(staged):  # left by a writer that stopped half-way
            staged.unlink()
        os.symlink(new.name, staged)
        os.replace(staged, directory / DATA_LINK)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    if old is not None:
        _remove_stale(directory, old, files)
    return new.name


def _remove_stale(directory: Path, old: str, files: Iterable[str]) -> None:
    """Remove visible links of files the new generation lacks, then the old generation."""
    old_dir = directory / old
    try:
        stale = {p.name for p in old_dir.iterdir()} - set(files)
    except OSError:
        stale = set()
    for name in stale:
        if (directory / name).is_symlink():
            (directory / name).unlink()
    if old_dir.name.startswith("..") and old_dir.parent == directory:
        shutil.rmtree(old_dir, ignore_errors=True)


def _read(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read(_MAX_FILE_BYTES + 1)
    if len(data) > _MAX_FILE_BYTES:
        raise ValueError(f"{path} is larger than {_MAX_FILE_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def read_generation(directory: Path, names: Iterable[str]) -> Generation:
    """The files `names` of the current generation, all from the same one.

    The target is read once and the files through it, so a swap in between cannot mix two
    generations; when the generation read is removed meanwhile (a writer swapped twice), the
    new one is read. Raises FileNotFoundError when there is no `..data`, or a file is missing
    from a generation that stays current, OSError when the files cannot be read, ValueError for
    a file too large to be a ConfigMap's."""
    wanted = tuple(names)
    for _ in range(_READ_ATTEMPTS):
        target = data_target(directory)
        if target is None:
            raise FileNotFoundError(f"{directory} has no {DATA_LINK} link: no table was written")
        try:
            return Generation(target, {name: _read(directory / target / name) for name in wanted})
        except FileNotFoundError:
            if data_target(directory) == target:
                raise
    raise OSError(f"{directory} changed {_READ_ATTEMPTS} times while it was read")
