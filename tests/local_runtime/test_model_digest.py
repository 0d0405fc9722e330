"""The model digest is what the README's shell commands print: `sha256sum` of a one-file model,
the digest of the sorted `sha256sum` listing of a directory (links followed), for the same
files; and the cluster's verify init container (its script run here with /bin/sh, as the
storage-initializer image's Debian shell runs it) computes the same digest and refuses a
mismatch naming both."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from components.manifests.model_fetch import VERIFY_SCRIPT
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


def _verify(directory: Path, expected: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", "-c", VERIFY_SCRIPT, "verify-model", str(directory), expected, "model iris:3"],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("files", [{"model.onnx": b"one file"}, {"a.bin": b"1", "sub/b.txt": b"2", "C": b"3"}])
def test_the_clusters_verify_container_computes_the_same_digest(tmp_path: Path, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(body)
    digest = content_digest(tmp_path)
    passed = _verify(tmp_path, digest)
    assert passed.returncode == 0 and f"model iris:3: sha256 {digest} verified" in passed.stdout
    wrong = "0" * 64
    failed = _verify(tmp_path, wrong)
    assert failed.returncode == 1
    assert failed.stderr.strip() == f"model iris:3: sha256 mismatch: expected {wrong}, got {digest}"


def test_the_verify_container_fails_on_an_empty_model(tmp_path: Path) -> None:
    failed = _verify(tmp_path, "0" * 64)
    assert failed.returncode == 1 and "holds no file" in failed.stderr
