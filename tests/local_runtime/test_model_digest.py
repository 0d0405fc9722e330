"""The model digest is what the README's shell commands print: `sha256sum` of a one-file model,
the digest of the sorted `sha256sum` listing of a directory (links followed), for the same
files."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from local_runtime.model_digest import content_digest

LISTING = "find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"


def _shell(command: str, cwd: Path) -> str:
    done = subprocess.run(["/bin/sh", "-c", command], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.split()[0]


def test_a_file_has_the_digest_sha256sum_prints(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x07onnx weights" * 100)
    assert content_digest(model) == _shell("sha256sum model.onnx", tmp_path)
    assert content_digest(model) == hashlib.sha256(model.read_bytes()).hexdigest()
    # a directory holding that one file (a fetched https:// model) has the file's digest
    assert content_digest(tmp_path) == content_digest(model)


def test_a_directory_has_the_digest_of_its_sorted_listing(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "tokenizer").mkdir(parents=True)
    (model / "weights.bin").write_bytes(b"\x00" * 4096)
    (model / "config.json").write_text('{"layers": 2}')
    (model / "tokenizer" / "vocab.txt").write_text("a\nb\n")
    (model / "Z-upper.txt").write_text("sorted as bytes, before lowercase")
    outside = tmp_path / "shared.bin"
    outside.write_bytes(b"shared")
    (model / "linked.bin").symlink_to(outside)  # links are followed
    assert content_digest(model) == _shell(LISTING, model)


def test_a_change_in_any_file_or_name_changes_the_digest(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("1")
    (tmp_path / "b").write_text("2")
    before = content_digest(tmp_path)
    (tmp_path / "b").rename(tmp_path / "c")
    renamed = content_digest(tmp_path)
    (tmp_path / "c").write_text("3")
    assert len({before, renamed, content_digest(tmp_path)}) == 3


def test_an_empty_directory_has_no_digest(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no file"):
        content_digest(tmp_path)
