"""`start_local_run` refuses, before starting anything, a run directory it did not create and a
socket directory that is not private."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from local_runtime.errors import ForeignRunDirectoryError, LocalRunError
from local_runtime.launch import UpRequest, start_local_run

STACK = """
    config:
      model-endpoints:endpoints:
        - name: ep
          versions:
            - name: v1
              inference_config: {entry_script: models/v1.py}
"""


def _config(directory: Path) -> Path:
    (directory / "models").mkdir(parents=True)
    (directory / "models" / "v1.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    config = directory / "Pulumi.dev.yaml"
    config.write_text(textwrap.dedent(STACK))
    return config


def test_up_leaves_a_users_directory_of_the_stacks_name_alone(
    tmp_path: Path, haproxy_installed: str
) -> None:
    run_dir = tmp_path / "runs" / "dev"
    notes = run_dir / "src" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine\n")
    request = UpRequest(stack="dev", config_file=_config(tmp_path / "stack"), run_dir=run_dir)
    with pytest.raises(ForeignRunDirectoryError, match="did not create it"):
        start_local_run(request)
    assert notes.read_text() == "mine\n"
    assert sorted(p.name for p in run_dir.iterdir()) == ["src"]


def test_up_refuses_a_socket_directory_others_can_enter_before_starting_anything(
    tmp_path_factory: pytest.TempPathFactory, haproxy_installed: str
) -> None:
    base = tmp_path_factory.mktemp("up")
    deep_run_dir = base / ("deep" * 20) / "dev"  # its admin socket path exceeds 107 bytes
    sockets = base / "sockets"
    sockets.mkdir()
    os.chmod(sockets, 0o777)  # e.g. created first by another local user
    request = UpRequest(
        stack="dev",
        config_file=_config(base / "stack"),
        run_dir=deep_run_dir,
        socket_dir=sockets,
    )
    with pytest.raises(LocalRunError, match=f"router admin sockets {sockets} has mode 0777"):
        start_local_run(request)
    assert not deep_run_dir.exists() and list(sockets.iterdir()) == []
