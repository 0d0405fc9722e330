"""The content-addressed model cache with a stand-in download: where it lives, a uri and version
fetched once, a known checksum fetching nothing, a new model version fetching again, a mismatch
refused with both digests and nothing cached, and a fetch that brings nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from local_runtime.errors import ModelChecksumError, ModelFetchError
from local_runtime.model_cache import fetch_model, models_cache_dir

BODY = b"weights v1"
DIGEST = hashlib.sha256(BODY).hexdigest()


class Source:
    """A stand-in for kserve-storage: writes `body` as model.bin and counts its calls."""

    def __init__(self, body: bytes = BODY) -> None:
        self.body = body
        self.calls: list[str] = []

    def __call__(self, uri: str, out_dir: Path) -> None:
        self.calls.append(uri)
        if self.body:
            (out_dir / "model.bin").write_bytes(self.body)


def test_the_cache_follows_xdg(tmp_path: Path) -> None:
    assert models_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "model-endpoints" / "models"
    assert models_cache_dir({}) == Path.home() / ".cache" / "model-endpoints" / "models"


def test_a_uri_and_version_is_fetched_once_and_stored_by_its_content(tmp_path: Path) -> None:
    source = Source()
    first = fetch_model("s3://models/iris/3", "3", None, tmp_path, source, "iris:3")
    assert first.fetched and first.digest == DIGEST and first.path == tmp_path / "sha256" / DIGEST
    assert (first.path / "model.bin").stat().st_mode & 0o222 == 0
    again = fetch_model("s3://models/iris/3", "3", None, tmp_path, source, "iris:3")
    assert not again.fetched and again.path == first.path and source.calls == ["s3://models/iris/3"]
    # a new model version at the same uri is fetched again; the same content is stored once
    newer = fetch_model("s3://models/iris/3", "4", None, tmp_path, source, "iris:4")
    assert newer.fetched and newer.path == first.path and len(source.calls) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fetch-")] == []


def test_a_known_checksum_finds_the_content_without_fetching(tmp_path: Path) -> None:
    fetch_model("https://a.example.com/m.bin", "1", None, tmp_path, Source(), "m:1")
    source = Source()
    found = fetch_model("https://mirror.example.com/m.bin", "1", DIGEST.upper(), tmp_path, source, "m:1")
    assert not found.fetched and found.digest == DIGEST and source.calls == []


def test_a_checksum_mismatch_names_both_digests_and_caches_nothing(tmp_path: Path) -> None:
    expected = "ab" * 32
    with pytest.raises(ModelChecksumError) as caught:
        fetch_model("s3://models/iris/3", "3", expected, tmp_path, Source(), "model iris:3")
    assert f"model iris:3: sha256 mismatch: expected {expected}, got {DIGEST}" in str(caught.value)
    assert not (tmp_path / "sha256").exists() and not (tmp_path / "uris").exists()


def test_cached_content_that_no_longer_matches_is_fetched_again(tmp_path: Path) -> None:
    fetch_model("s3://models/iris/3", "3", None, tmp_path, Source(), "iris:3")
    changed = Source(b"weights v1, retrained")
    wanted = hashlib.sha256(changed.body).hexdigest()
    refetched = fetch_model("s3://models/iris/3", "3", wanted, tmp_path, changed, "iris:3")
    assert refetched.fetched and refetched.digest == wanted and changed.calls


def test_a_fetch_that_brings_no_file_fails(tmp_path: Path) -> None:
    with pytest.raises(ModelFetchError, match="brought no file"):
        fetch_model("s3://models/empty", "1", None, tmp_path, Source(b""), "empty:1")
