"""One virtualenv per distinct requirements list, with Azure ML's inference server, cached by hash.

The same cache builds the virtualenv of KServe's storage package that fetches models
(`local_runtime.model_storage_venv`): its base requirement replaces the server's.

A version's scoring script runs with `azureml-inference-server-http` plus the inference config's
`requirements`, isolated from this project's own packages (as in its container). Building one
takes pip a while, so it is cached under `<cache>/<key>/`, where the key hashes the server
requirement, the requirements and the Python that runs them: unchanged requirements reuse the
virtualenv, changed ones get a new one. A build happens in a temporary directory next to the cache
entry and is renamed into place only once complete (under a lock, so two builds of the same key do
not race), so an interrupted build never leaves a half-installed virtualenv that looks usable.
pip's lines go to a progress callback as they come. pip and `python -m venv` get an allowlisted
environment (`child_environment.build_environment`): pip's settings, proxies and CA bundles, no
credentials.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from local_runtime.child_environment import build_environment
from local_runtime.errors import VenvBuildError
from specification.version import INFERENCE_SERVER_REQUIREMENT

__all__ = [
    "SERVER_REQUIREMENT",
    "Progress",
    "PythonIdentity",
    "Venv",
    "ensure_venv",
    "normalized_requirements",
    "user_cache_dir",
    "venv_cache_dir",
    "venv_key",
]

SERVER_REQUIREMENT = INFERENCE_SERVER_REQUIREMENT  # the release range pods install too
_LAYOUT = 1  # raise when what a cached virtualenv holds changes shape
_MARKER = "model-endpoints-venv.json"
_PIP_TAIL_LINES = 15

Progress = Callable[[str], None]


def user_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/model-endpoints` (default `~/.cache/model-endpoints`): what outlives
    runs (virtualenvs, fetched models) is cached per user, not in a run directory."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "model-endpoints"


def venv_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/model-endpoints/venvs` (default `~/.cache/model-endpoints/venvs`)."""
    return user_cache_dir(environ) / "venvs"


@dataclass(frozen=True)
class PythonIdentity:
    """The interpreter virtualenvs are made from (a different one needs a different venv)."""

    implementation: str
    version: str
    executable: str

    @classmethod
    def current(cls) -> PythonIdentity:
        base = getattr(sys, "_base_executable", None) or sys.executable
        return cls(sys.implementation.name, platform.python_version(), os.path.realpath(base))


@dataclass(frozen=True)
class Venv:
    """A ready virtualenv. `reused` tells whether it came from the cache as it was."""

    path: Path
    key: str
    requirements: tuple[str, ...]
    reused: bool
    gunicorn_version: str | None = None
    build_seconds: float | None = None

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def normalized_requirements(requirements: Sequence[str]) -> tuple[str, ...]:
    """Stripped, de-duplicated and sorted: the same set of requirements is the same virtualenv."""
    return tuple(sorted({requirement.strip() for requirement in requirements}))


def venv_key(
    requirements: Sequence[str], python: PythonIdentity, base: str = SERVER_REQUIREMENT
) -> str:
    """The cache key: a SHA-256 over the base (server) requirement, the requirements and the Python."""
    payload = {
        "layout": _LAYOUT,
        "server": base,
        "requirements": list(normalized_requirements(requirements)),
        "python": asdict(python),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def _read_marker(path: Path) -> dict[str, object] | None:
    try:
        marker = json.loads((path / _MARKER).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(marker, dict) or not (path / "bin" / "python").exists():
        return None
    return marker


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_pip(
    python: Path, requirements: tuple[str, ...], progress: Progress, base: str = SERVER_REQUIREMENT
) -> None:
    command = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        base,
        *requirements,
    ]
    tail: list[str] = []
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=build_environment({"PIP_NO_INPUT": "1", "PYTHONUNBUFFERED": "1"}),
    ) as pip:
        assert pip.stdout is not None
        for raw in pip.stdout:
            line = raw.rstrip()
            if line.strip():
                progress(line.strip())
                tail = [*tail[-(_PIP_TAIL_LINES - 1) :], line]
        code = pip.wait()
    if code != 0:
        listed = ", ".join(requirements) or "no extra requirements"
        raise VenvBuildError(
            f"pip could not install {base} with {listed} (exit {code}):\n"
            + "\n".join(tail)
        )


def _installed_version(python: Path, distribution: str) -> str | None:
    result = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        env=build_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def _point_scripts_at(bin_dir: Path, old: Path, new: Path) -> None:
    """pip writes the build directory into script shebangs and `activate`; after the rename they
    must name the final path (the runtime itself only ever runs `bin/python`)."""
    old_text, new_text = str(old), str(new)
    for script in bin_dir.iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        try:
            text = script.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if old_text in text:
            script.write_text(text.replace(old_text, new_text), encoding="utf-8")


def _build(
    final: Path,
    key: str,
    requirements: tuple[str, ...],
    python: PythonIdentity,
    progress: Progress,
    base: str,
) -> Venv:
    started = time.monotonic()
    building = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".build-{key}-"))
    try:
        listed = ", ".join(requirements) or "no extra requirements"
        progress(f"building virtualenv {key[:12]} ({base}; {listed})")
        created = subprocess.run(
            [sys.executable, "-m", "venv", str(building)],
            capture_output=True,
            text=True,
            check=False,
            env=build_environment(),
        )
        if created.returncode != 0:
            raise VenvBuildError(f"python -m venv {building} failed: {created.stderr.strip()}")
        venv_python = building / "bin" / "python"
        _run_pip(venv_python, requirements, progress, base)
        gunicorn = _installed_version(venv_python, "gunicorn")
        _point_scripts_at(building / "bin", building, final)
        marker = {
            "key": key,
            "server": base,
            "requirements": list(requirements),
            "python": asdict(python),
            "gunicorn": gunicorn,
        }
        (building / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        if final.exists():  # an entry without a marker: a broken leftover, replaced
            shutil.rmtree(final)
        os.rename(building, final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return Venv(final, key, requirements, False, gunicorn, time.monotonic() - started)


def ensure_venv(
    requirements: Sequence[str],
    cache_dir: Path,
    progress: Progress = lambda line: None,
    python: PythonIdentity | None = None,
    base: str = SERVER_REQUIREMENT,
) -> Venv:
    """The cached virtualenv for `requirements` on top of `base` (default: the inference
    server), built first if there is none yet."""
    python = python or PythonIdentity.current()
    normalized = normalized_requirements(requirements)
    key = venv_key(normalized, python, base)
    final = cache_dir / key
    marker = _read_marker(final)
    if marker is not None:
        return Venv(final, key, normalized, True, _gunicorn(marker))
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f".{key}.lock"):
        marker = _read_marker(final)  # another process may have built it meanwhile
        if marker is not None:
            return Venv(final, key, normalized, True, _gunicorn(marker))
        # Under the lock no other build of this key runs: a build directory left is from a
        # build that was killed.
        for stale in cache_dir.glob(f".build-{key}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return _build(final, key, normalized, python, progress, base)


def _gunicorn(marker: dict[str, object]) -> str | None:
    version = marker.get("gunicorn")
    return version if isinstance(version, str) else None
