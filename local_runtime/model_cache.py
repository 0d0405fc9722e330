"""The content-addressed cache of models fetched for local runs, under the user's cache directory.

`$XDG_CACHE_HOME/model-endpoints/models/` (default `~/.cache/...`):

  sha256/<digest>/     a model's files, stored once per content (`model_digest.content_digest`),
                       read-only (mode 0444), never changed once there
  uris/<key>           the digest last fetched for a uri and model version (the key hashes both)
  .fetch-*             a fetch under way; renamed into `sha256/` only once complete and verified

A uri and version are fetched once: later runs find the digest through `uris/` (a new model
version fetches again). With an expected `sha256` whose content is already cached nothing is
fetched at all; a fetched content that does not match is refused, naming both digests, and
left out of the cache. Fetches of one key are serialised by a lock file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local_runtime.errors import ModelChecksumError, ModelFetchError
from local_runtime.model_digest import content_digest
from local_runtime.venvs import user_cache_dir

__all__ = ["CachedModel", "Download", "fetch_model", "models_cache_dir", "checksum_problem"]

Download = Callable[[str, Path], None]  # (uri, directory to write its files into)


def models_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/model-endpoints/models` (default `~/.cache/model-endpoints/models`)."""
    return user_cache_dir(environ) / "models"


@dataclass(frozen=True)
class CachedModel:
    """A model's files in the cache. `fetched`: downloaded by this call (else found there)."""

    path: Path
    digest: str
    fetched: bool


def checksum_problem(what: str, expected: str | None, actual: str) -> str | None:
    """The mismatch message naming both digests, or None when there is nothing to refuse."""
    if expected is None or expected.lower() == actual:
        return None
    return f"{what}: sha256 mismatch: expected {expected.lower()}, got {actual}"


def _key(uri: str, version: str) -> str:
    return hashlib.sha256(json.dumps([uri, version]).encode()).hexdigest()[:32]


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_read_only(directory: Path) -> None:
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o444)


def _store(fetched: Path, digest: str, cache_dir: Path) -> Path:
    final = cache_dir / "sha256" / digest
    if final.is_dir():  # the same content came from another uri: keep the stored copy
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    _make_read_only(fetched)
    os.rename(fetched, final)
    return final


def _write_index(index: Path, digest: str) -> None:
    index.parent.mkdir(parents=True, exist_ok=True)
    partial = index.with_name(f".{index.name}.partial")
    partial.write_text(digest + "\n", encoding="utf-8")
    os.replace(partial, index)


def _indexed(index: Path, cache_dir: Path) -> str | None:
    try:
        digest = index.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return digest if (cache_dir / "sha256" / digest).is_dir() else None


def fetch_model(
    uri: str,
    version: str,
    expected_sha256: str | None,
    cache_dir: Path,
    download: Download,
    what: str,
) -> CachedModel:
    """The cached files of `uri` at model `version`, fetched with `download` unless cached.

    `what` names the model in messages. Raises ModelChecksumError when the content differs from
    `expected_sha256`, ModelFetchError when the download fails or brings no file."""
    expected = expected_sha256.lower() if expected_sha256 else None
    if expected is not None and (cache_dir / "sha256" / expected).is_dir():
        return CachedModel(cache_dir / "sha256" / expected, expected, False)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = _key(uri, version)
    index = cache_dir / "uris" / key
    with _locked(cache_dir / f".{key}.lock"):
        digest = _indexed(index, cache_dir)
        if digest is not None and checksum_problem(what, expected, digest) is None:
            return CachedModel(cache_dir / "sha256" / digest, digest, False)
        # Not cached, or cached with other content than now expected: the source may have
        # changed since, so it is fetched again and judged on what arrives.
        work = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".fetch-"))
        try:
            content = work / "content"
            content.mkdir()
            download(uri, content)
            try:
                digest = content_digest(content)
            except ValueError:
                raise ModelFetchError(f"{what}: fetching {uri} brought no file") from None
            problem = checksum_problem(what, expected, digest)
            if problem is not None:
                raise ModelChecksumError(f"{problem} (fetched from {uri}; nothing was cached)")
            stored = _store(content, digest, cache_dir)
            _write_index(index, digest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return CachedModel(stored, digest, True)
