"""A virtualenv with Azure ML's inference server, built once and reused across test runs.

It lives in `$XDG_CACHE_HOME/model-endpoints/test-venvs/` (default `~/.cache/...`), keyed by the
server release and this interpreter. It is built in a temporary directory next to its final place
and renamed into place when complete, so an interrupted or concurrent build never leaves a
half-made virtualenv where a later run would use it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["INFERENCE_SERVER_REQUIREMENT", "inference_server_python"]

INFERENCE_SERVER_REQUIREMENT = "azureml-inference-server-http==1.5.1"
_COMPLETE_MARKER = ".model-endpoints-complete"
_BUILD_TIMEOUT_SECONDS = 900


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "model-endpoints" / "test-venvs"


def _venv_dir() -> Path:
    interpreter = f"{sys.version}|{getattr(sys, '_base_executable', sys.executable)}"
    key = hashlib.sha256(f"{INFERENCE_SERVER_REQUIREMENT}|{interpreter}".encode()).hexdigest()[:12]
    release = INFERENCE_SERVER_REQUIREMENT.split("==")[1]
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    return _cache_root() / f"azmlinfsrv-{release}-{python}-{key}"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _usable(venv: Path) -> bool:
    if not (venv / _COMPLETE_MARKER).is_file() or not _python(venv).exists():
        return False
    check = subprocess.run(
        [str(_python(venv)), "-c", "import azureml_inference_server_http.amlserver"],
        capture_output=True,
        timeout=120,
    )
    return check.returncode == 0


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(
            f"building the inference server virtualenv failed: {' '.join(command)} exited "
            f"{done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )


def inference_server_python() -> Path:
    """The Python of a virtualenv with `azmlinfsrv` installed (built on first use)."""
    final = _venv_dir()
    if _usable(final):
        return _python(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        _run([sys.executable, "-m", "venv", str(building)])
        # Only `bin/python` is used (a symlink, valid after the rename); the console scripts'
        # shebangs name the build directory.
        _run(
            [
                str(_python(building)), "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", INFERENCE_SERVER_REQUIREMENT,
            ]
        )
        (building / _COMPLETE_MARKER).write_text(INFERENCE_SERVER_REQUIREMENT + "\n")
        if final.exists():  # broken, or a concurrent build finished first
            if _usable(final):
                return _python(final)
            stale = Path(tempfile.mkdtemp(prefix=".stale-", dir=final.parent))
            os.replace(final, stale / "venv")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(building, final)
        except OSError:
            if not _usable(final):  # lost a race to a build that is not usable either
                raise
        return _python(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)
