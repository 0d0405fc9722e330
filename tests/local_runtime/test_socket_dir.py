"""The private directory of router admin sockets: created 0700 for this user, and refused when
something else (another owner, a wider mode, a link, a file) already has its name."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from local_runtime.errors import LocalRunError
from local_runtime.socket_dir import default_socket_dir, ensure_socket_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_directory_is_per_user_in_the_temporary_directory() -> None:
    assert default_socket_dir() == Path(tempfile.gettempdir()) / f"model-endpoints-{os.getuid()}"


def test_it_is_created_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        made = ensure_socket_dir(tmp_path / "sockets")
    finally:
        os.umask(previous)
    assert made == tmp_path / "sockets" and _mode(made) == 0o700
    assert os.lstat(made).st_uid == os.getuid()
    assert ensure_socket_dir(made) == made  # an existing private directory is used as it is


def test_a_directory_open_to_others_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "sockets"
    taken.mkdir()
    os.chmod(taken, 0o777)
    with pytest.raises(LocalRunError) as raised:
        ensure_socket_dir(taken)
    assert str(raised.value) == (
        f"the directory for router admin sockets {taken} has mode 0777, not 0700, so another user "
        "could read or replace the sockets in it: remove it (or set TMPDIR to a directory of your "
        "own) and run `local up` again"
    )
    assert _mode(taken) == 0o777  # refused, not repaired: its owner may rely on it


def test_a_directory_of_another_owner_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "sockets"
    other.mkdir(mode=0o700)
    os.chmod(other, 0o700)
    someone_else = os.getuid() + 1  # as if another user had created it first
    with pytest.raises(LocalRunError, match=rf"belongs to uid {os.getuid()}, not to you \(uid {someone_else}\)"):
        ensure_socket_dir(other, uid=someone_else)


def test_a_link_or_a_file_of_that_name_is_refused(tmp_path: Path) -> None:
    private = ensure_socket_dir(tmp_path / "mine")
    link = tmp_path / "sockets"
    link.symlink_to(private)
    with pytest.raises(LocalRunError, match="is a symbolic link"):
        ensure_socket_dir(link)
    plain = tmp_path / "plain"
    plain.write_text("")
    with pytest.raises(LocalRunError, match="is not a directory"):
        ensure_socket_dir(plain)


def test_a_missing_parent_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocalRunError, match="cannot create the directory for router admin sockets"):
        ensure_socket_dir(tmp_path / "no" / "such")
