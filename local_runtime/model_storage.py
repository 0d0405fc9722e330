"""Run KServe's storage package for local mode, in a cached virtualenv of its own.

`kserve-storage` brings the S3, GCS and Azure SDKs: it never enters this project's environment.
It is installed at the release the cluster's storage-initializer image carries
(`specification.models.KSERVE_STORAGE_REQUIREMENT`) into a virtualenv built once and cached with
the inference server's (`local_runtime.venvs`, keyed by that requirement), and each fetch runs
`storage_download.py` there as a child process with the storage environment
(`child_environment.storage_environment`). A failed fetch raises with the package's own message.
"""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Mapping
from pathlib import Path

from local_runtime.child_environment import storage_environment
from local_runtime.errors import ModelFetchError
from local_runtime.venvs import Progress, Venv, ensure_venv
from specification.models import KSERVE_STORAGE_REQUIREMENT

__all__ = ["StorageDownloader", "ensure_storage_venv"]

_OUTPUT_TAIL_LINES = 20
_FETCH_TIMEOUT_SECONDS = 3600.0


def ensure_storage_venv(cache_dir: Path, progress: Progress = lambda line: None) -> Venv:
    """The cached virtualenv with `kserve-storage`, built first if there is none yet."""
    return ensure_venv([], cache_dir, progress, base=KSERVE_STORAGE_REQUIREMENT)


def _download_script() -> Path:
    spec = importlib.util.find_spec("local_runtime.storage_download")
    if spec is None or spec.origin is None:
        raise ModelFetchError("local_runtime/storage_download.py is missing from this installation")
    return Path(spec.origin).resolve()


class StorageDownloader:
    """Fetches a URI into a directory with the storage virtualenv's Python."""

    def __init__(self, venv: Venv, environ: Mapping[str, str] | None = None) -> None:
        self.venv = venv
        self.environ = environ

    def __call__(self, uri: str, out_dir: Path) -> None:
        try:
            done = subprocess.run(
                [str(self.venv.python), str(_download_script()), uri, str(out_dir)],
                env=storage_environment({"PYTHONUNBUFFERED": "1"}, parent=self.environ),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_FETCH_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ModelFetchError(
                f"fetching {uri} took more than {_FETCH_TIMEOUT_SECONDS:.0f}s"
            ) from None
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines()
            tail = "\n".join(lines[-_OUTPUT_TAIL_LINES:])
            raise ModelFetchError(f"fetching {uri} with {KSERVE_STORAGE_REQUIREMENT} failed:\n{tail}")
