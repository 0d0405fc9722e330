"""The models of a local run: found or fetched before anything starts, then linked into the run.

A local path (or `file://`) is used where it is, checked to exist; a remote URI is fetched once
with KServe's storage package into the model cache (`model_cache`), its virtualenv built only when
some model needs it. A given `sha256` is checked either way, and a mismatch stops `local up`
before any process starts, naming both digests. Once the run directory exists, each model is
linked at `<run>/models/<endpoint>/<version>/<name>/<model version>`: a directory as a link to
it, a file as a link inside a directory of its own, so `AZUREML_MODEL_DIR` lays out as Azure ML
lays it out. Nothing is copied: the run never writes to a model, and cached files are read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from local_runtime.errors import ModelChecksumError, ModelFetchError
from local_runtime.model_cache import Download, checksum_problem, fetch_model
from local_runtime.model_digest import content_digest
from local_runtime.model_storage import StorageDownloader, ensure_storage_venv
from local_runtime.run_plan import ModelPlan

__all__ = ["link_models", "resolve_models"]

Say = Callable[[str], None]


def _local_model(model: ModelPlan) -> Path:
    assert model.local_path is not None
    path = model.local_path.absolute()
    if not path.exists():
        raise ModelFetchError(f"{model.label}: {model.source!r}: {path} does not exist")
    if model.sha256 is not None:
        problem = checksum_problem(model.label, model.sha256, content_digest(path))
        if problem is not None:
            raise ModelChecksumError(f"{problem} (the local path {path})")
    return path


def resolve_models(
    models: tuple[ModelPlan, ...],
    *,
    cache_dir: Path,
    venv_cache_dir: Path,
    say: Say,
    pip_line: Say,
    download: Download | None = None,
) -> dict[ModelPlan, Path]:
    """Each model's files on this machine; remote ones fetched into `cache_dir` with `download`
    (default: kserve-storage in its virtualenv under `venv_cache_dir`)."""
    resolved: dict[ModelPlan, Path] = {}
    for model in models:
        if model.local_path is not None:
            resolved[model] = _local_model(model)
            continue
        if download is None:
            venv = ensure_storage_venv(venv_cache_dir, pip_line)
            say(
                f"kserve-storage virtualenv: {'reused' if venv.reused else 'built'} {venv.path}"
            )
            download = StorageDownloader(venv)
        cached = fetch_model(
            model.source, model.model_version, model.sha256, cache_dir, download, model.label
        )
        state = "fetched into" if cached.fetched else "cached in"
        say(f"{model.label}: {model.source} {state} {cached.path}")
        resolved[model] = cached.path
    return resolved


def link_models(resolved: Mapping[ModelPlan, Path]) -> None:
    """Link every model at its place under its version's models directory."""
    for model, source in resolved.items():
        model.link.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            model.link.symlink_to(source, target_is_directory=True)
        else:
            model.link.mkdir()
            (model.link / source.name).symlink_to(source)
