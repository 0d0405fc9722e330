"""Write run files that only their owner may read: keys, the signing key, state, router files.

Every file of a run directory is created with mode 0600 and every directory with 0700 from the
start (never chmod-ed after the fact, so there is no moment where another user could read a key),
and replaced atomically so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "make_private_dir", "write_private"]

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(path: Path) -> Path:
    """Create `path` and each missing parent with mode 0700; existing directories are kept."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(directory, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path` with mode 0600, atomically (temp file in the same dir + rename)."""
    make_private_dir(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:  # mkstemp creates the file with mode 0600
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
