"""Models fetched for real with KServe's storage package in its own cached virtualenv: an
`https://` file from a TLS server on 127.0.0.1 that only a test CA vouches for, and an `s3://`
prefix from an S3-compatible server (moto's) on 127.0.0.1, both into the content-addressed cache;
a checksum mismatch refused with both digests; a failed fetch with the package's message.

The virtualenv is the real cache's (`~/.cache/model-endpoints/venvs`, `$XDG_CACHE_HOME`): built by
the first test that needs it (about 35 s), reused after that."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local_runtime.errors import ModelChecksumError, ModelFetchError
from local_runtime.model_cache import fetch_model
from local_runtime.model_digest import content_digest
from local_runtime.model_storage import StorageDownloader, ensure_storage_venv
from local_runtime.venvs import Venv, venv_cache_dir
from tests.local_runtime.model_servers import serve_https, serve_s3

MODEL_BYTES = b"\x00\x01 model weights \xff" * 64


@pytest.fixture(scope="module")
def storage_venv() -> Venv:
    return ensure_storage_venv(venv_cache_dir())


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS file server on 127.0.0.1 with iris/3/model.safetensors; yields (port, CA file)."""
    site = tmp_path / "site"
    (site / "iris" / "3").mkdir(parents=True)
    (site / "iris" / "3" / "model.safetensors").write_bytes(MODEL_BYTES)
    with serve_https(site, tmp_path) as served:
        yield served


def test_an_https_model_is_fetched_once_through_the_test_ca_into_the_cache(
    storage_venv: Venv, https_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = https_server
    uri = f"https://127.0.0.1:{port}/iris/3/model.safetensors"
    cache = tmp_path / "cache"
    download = StorageDownloader(storage_venv, {"PATH": "/usr/bin:/bin", "REQUESTS_CA_BUNDLE": str(ca)})
    expected = hashlib.sha256(MODEL_BYTES).hexdigest()

    fetched = fetch_model(uri, "3", expected, cache, download, "model iris:3")
    assert fetched.fetched and fetched.digest == expected
    assert fetched.path == cache / "sha256" / expected
    stored = fetched.path / "model.safetensors"
    assert stored.read_bytes() == MODEL_BYTES and stored.stat().st_mode & 0o222 == 0  # read-only

    def no_download(uri: str, out: Path) -> None:
        raise AssertionError("fetched twice")

    again = fetch_model(uri, "3", None, cache, no_download, "model iris:3")
    assert not again.fetched and again.path == fetched.path


def test_without_the_ca_the_https_fetch_fails_with_the_packages_words(
    storage_venv: Venv, https_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = https_server
    uri = f"https://127.0.0.1:{port}/iris/3/model.safetensors"
    download = StorageDownloader(storage_venv, {"PATH": "/usr/bin:/bin"})
    with pytest.raises(ModelFetchError, match=r"(?s)fetching https://127\.0\.0\.1.*failed.*(SSL|certificate)"):
        fetch_model(uri, "3", None, tmp_path / "cache", download, "model iris:3")
    assert not (tmp_path / "cache" / "sha256").exists()


def test_a_checksum_mismatch_is_refused_naming_both_digests_and_nothing_is_cached(
    storage_venv: Venv, https_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = https_server
    uri = f"https://127.0.0.1:{port}/iris/3/model.safetensors"
    download = StorageDownloader(storage_venv, {"PATH": "/usr/bin:/bin", "REQUESTS_CA_BUNDLE": str(ca)})
    wrong = "0" * 64
    actual = hashlib.sha256(MODEL_BYTES).hexdigest()
    with pytest.raises(ModelChecksumError, match=f"expected {wrong}, got {actual}"):
        fetch_model(uri, "3", wrong, tmp_path / "cache", download, "model iris:3")
    assert not (tmp_path / "cache" / "sha256").exists()


@pytest.fixture
def s3_server() -> Iterator[str]:
    with serve_s3() as endpoint_url:
        yield endpoint_url


def test_an_s3_prefix_is_fetched_with_its_tree_from_an_s3_compatible_server(
    storage_venv: Venv, s3_server: str, tmp_path: Path
) -> None:
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_server,
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="models")
    files = {"model.onnx": MODEL_BYTES, "vocab/labels.txt": b"setosa\nversicolor\n"}
    for name, body in files.items():
        client.put_object(Bucket="models", Key=f"iris/3/{name}", Body=body)
    (tmp_path / "expected" / "vocab").mkdir(parents=True)
    for name, body in files.items():
        (tmp_path / "expected" / name).write_bytes(body)

    download = StorageDownloader(storage_venv, {"PATH": "/usr/bin:/bin", **credentials})
    fetched = fetch_model("s3://models/iris/3", "3", None, tmp_path / "cache", download, "iris:3")
    for name, body in files.items():
        assert (fetched.path / name).read_bytes() == body
    assert fetched.digest == content_digest(tmp_path / "expected")
