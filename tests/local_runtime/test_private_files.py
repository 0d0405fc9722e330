"""Run files only their owner may read: 0600 files and 0700 directories, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_runtime.private_files import make_private_dir, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_private_dirs_are_0700_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    made = make_private_dir(tmp_path / "a" / "b")
    assert _mode(made) == _mode(made.parent) == 0o700


def test_private_files_are_0600_and_replaced_whole(tmp_path: Path, open_umask: None) -> None:
    path = write_private(tmp_path / "key.json", "first")
    assert _mode(path) == 0o600 and path.read_text() == "first"
    write_private(path, "second")
    assert _mode(path) == 0o600 and path.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"]  # no temporary file left
