"""Virtualenvs per requirements list: where they are cached, the cache key, a real build in a
temporary directory renamed into place, reuse while unchanged, and a failed build that leaves
nothing behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from local_runtime.errors import VenvBuildError
from local_runtime.venvs import (
    SERVER_REQUIREMENT,
    PythonIdentity,
    ensure_venv,
    venv_cache_dir,
    venv_key,
)

PYTHON = PythonIdentity("cpython", "3.11.7", "/usr/bin/python3.11")


def test_the_venv_cache_follows_xdg(tmp_path: Path) -> None:
    assert (
        venv_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "model-endpoints" / "venvs"
    )
    assert venv_cache_dir({}) == Path.home() / ".cache" / "model-endpoints" / "venvs"


def test_the_key_depends_on_the_requirement_set_and_the_python_only() -> None:
    key = venv_key(["numpy>=1.26", "pandas"], PYTHON)
    assert venv_key([" pandas", "numpy>=1.26", "pandas "], PYTHON) == key  # order, spaces, repeats
    assert venv_key(["numpy>=1.26"], PYTHON) != key
    assert (
        venv_key(
            ["numpy>=1.26", "pandas"], PythonIdentity("cpython", "3.12.1", "/usr/bin/python3.12")
        )
        != key
    )
    assert venv_key([], PYTHON) != venv_key(["pandas"], PYTHON)
    assert len(key) == 24 and set(key) <= set("0123456789abcdef")


def test_another_base_requirement_is_another_virtualenv() -> None:
    from specification.models import KSERVE_STORAGE_REQUIREMENT

    assert venv_key([], PYTHON) == venv_key([], PYTHON, SERVER_REQUIREMENT)
    assert venv_key([], PYTHON, KSERVE_STORAGE_REQUIREMENT) != venv_key([], PYTHON)


def test_the_server_requirement_is_the_one_pods_install() -> None:
    from specification.version import INFERENCE_SERVER_REQUIREMENT

    assert SERVER_REQUIREMENT == INFERENCE_SERVER_REQUIREMENT


def test_a_build_lands_complete_in_place_and_is_reused(tmp_path: Path) -> None:
    lines: list[str] = []
    venv = ensure_venv([], tmp_path, lines.append)
    assert not venv.reused and venv.path == tmp_path / venv.key
    assert any(line.startswith("Successfully installed") for line in lines)  # pip's lines streamed
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build-")] == []
    # built elsewhere, renamed here: the scripts name the final path
    assert (venv.path / "bin" / "azmlinfsrv").read_text().startswith(f"#!{venv.path}/bin/python")
    imported = subprocess.run(
        [str(venv.python), "-c", "import azureml_inference_server_http.amlserver"], check=False
    )
    assert imported.returncode == 0
    assert venv.gunicorn_version

    again: list[str] = []
    reused = ensure_venv([], tmp_path, again.append)
    assert reused.reused and reused.path == venv.path and again == []
    assert reused.gunicorn_version == venv.gunicorn_version


def test_a_failed_build_raises_with_pips_words_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(VenvBuildError, match=r"(?s)pip could not install.*does not exist"):
        ensure_venv(["/nonexistent/model-endpoints-test-package"], tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
