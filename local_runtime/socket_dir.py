"""A private directory for router admin sockets that do not fit in the run directory.

A UNIX socket path holds at most 107 bytes, so a router whose run directory is deep gets its admin
socket elsewhere. A fixed name in the shared temporary directory could be taken first by another
local user, who would then receive the router's runtime commands; so the socket goes into
`<tmp>/model-endpoints-<uid>/`, created with mode 0700 and checked before every use: a directory
of that name that is not ours alone (another owner, a wider mode, a symbolic link) is refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from local_runtime.errors import LocalRunError

__all__ = ["SOCKET_DIR_MODE", "default_socket_dir", "ensure_socket_dir"]

SOCKET_DIR_MODE = 0o700


def default_socket_dir() -> Path:
    """`<tmp>/model-endpoints-<uid>`, one per user (`<tmp>`: `$TMPDIR`, else /tmp)."""
    return Path(tempfile.gettempdir()) / f"model-endpoints-{os.getuid()}"


def _problems(path: Path, uid: int) -> list[str]:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return ["is a symbolic link"]
    if not stat.S_ISDIR(info.st_mode):
        return ["is not a directory"]
    problems = []
    if info.st_uid != uid:
        problems.append(f"belongs to uid {info.st_uid}, not to you (uid {uid})")
    if stat.S_IMODE(info.st_mode) != SOCKET_DIR_MODE:
        problems.append(f"has mode {stat.S_IMODE(info.st_mode):04o}, not 0700")
    return problems


def ensure_socket_dir(path: Path, uid: int | None = None) -> Path:
    """Create `path` with mode 0700 if it is missing, then check that it is a directory of `uid`
    (default: this user) with mode 0700; LocalRunError naming it otherwise."""
    uid = os.getuid() if uid is None else uid
    try:
        path.mkdir(mode=SOCKET_DIR_MODE)
    except FileExistsError:
        pass
    except OSError as error:
        raise LocalRunError(
            f"cannot create the directory for router admin sockets {path}: {error.strerror}"
        ) from None
    else:
        os.chmod(path, SOCKET_DIR_MODE)  # mkdir's mode is masked by the umask
    problems = _problems(path, uid)
    if problems:
        raise LocalRunError(
            f"the directory for router admin sockets {path} {' and '.join(problems)}, so another "
            "user could read or replace the sockets in it: remove it (or set TMPDIR to a "
            "directory of your own) and run `local up` again"
        )
    return path
