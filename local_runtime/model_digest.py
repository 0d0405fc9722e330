"""The digest a model's `sha256` is checked against: one definition for files and directories.

A model that is one file is identified by that file's SHA-256, as `sha256sum` prints it; a
directory of several files by the SHA-256 of its `sha256sum` listing, files found through symbolic
links and sorted by path as the C locale sorts bytes, which is what
`find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum` prints for the same
directory. A directory holding one file (a fetched `https://` file) has that file's digest.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["content_digest", "file_digest"]

_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """The SHA-256 of one file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(directory: Path) -> list[str]:
    """Relative paths (`./a/b`) of the regular files under `directory`, links followed."""
    found = []
    for root, _, names in os.walk(directory, followlinks=True):
        for name in names:
            path = os.path.join(root, name)
            if os.path.isfile(path):
                found.append("./" + os.path.relpath(path, directory))
    return sorted(found, key=os.fsencode)


def content_digest(path: Path) -> str:
    """The model digest of `path`, a file or a directory (ValueError when it holds no file)."""
    if not path.is_dir():
        return file_digest(path)
    files = _files(path)
    if not files:
        raise ValueError(f"{path} holds no file")
    if len(files) == 1:
        return file_digest(path / files[0])
    listing = "".join(f"{file_digest(path / name)}  {name}\n" for name in files)
    return hashlib.sha256(listing.encode()).hexdigest()
