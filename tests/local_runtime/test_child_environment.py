"""Processes of a local run get an allowlisted environment: a secret of the caller's shell never
reaches a replica, a router or pip, while the declared `env` and pip's own settings do."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest

from local_runtime.child_environment import (
    build_environment,
    process_environment,
    storage_environment,
)
from local_runtime.process_control import RUN_MARKER_ENV, start_process, stop_processes
from local_runtime.venvs import _run_pip

SECRETS = {
    "PULUMI_CONFIG_PASSPHRASE": "correct horse battery staple",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
    "AZURE_CLIENT_SECRET": "azure-secret",
    "GITHUB_TOKEN": "ghp_token",
    "PYTHONPATH": "/somewhere/else",
    "VIRTUAL_ENV": "/work/.venv",
}
SHELL = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/dev",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "TMPDIR": "/tmp",
    **SECRETS,
}
PIP_SETTINGS = {
    "PIP_INDEX_URL": "https://mirror.example/simple",
    "HTTPS_PROXY": "http://proxy.example:3128",
    "https_proxy": "http://proxy.example:3128",
    "NO_PROXY": "localhost",
    "SSL_CERT_FILE": "/etc/ssl/corporate.pem",
    "REQUESTS_CA_BUNDLE": "/etc/ssl/corporate.pem",
}


def test_a_replica_gets_what_a_program_needs_its_env_and_the_marker_only() -> None:
    env = process_environment({"MODEL_SIZE": "small"}, "/runs/dev", {**SHELL, **PIP_SETTINGS})
    assert env == {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/dev",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "TMPDIR": "/tmp",
        "MODEL_SIZE": "small",
        RUN_MARKER_ENV: "/runs/dev",
    }


def test_a_build_also_gets_pips_settings_proxies_and_ca_bundles() -> None:
    env = build_environment({"PIP_NO_INPUT": "1"}, {**SHELL, **PIP_SETTINGS})
    assert env == {
        **{k: v for k, v in SHELL.items() if k not in SECRETS},
        **PIP_SETTINGS,
        "PIP_NO_INPUT": "1",
    }


def test_a_model_fetch_also_gets_the_storage_credentials_and_nothing_else() -> None:
    storage = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "S3_VERIFY_SSL": "0",
        "awsAnonymousCredential": "false",
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/dev/gcp.json",
        "AZ_TENANT_ID": "tenant",
    }
    env = storage_environment({"PYTHONUNBUFFERED": "1"}, {**SHELL, **PIP_SETTINGS, **storage})
    assert env == {
        **{k: v for k, v in SHELL.items() if k not in SECRETS},
        **PIP_SETTINGS,
        **storage,
        "AWS_SECRET_ACCESS_KEY": SECRETS["AWS_SECRET_ACCESS_KEY"],
        "AZURE_CLIENT_SECRET": SECRETS["AZURE_CLIENT_SECRET"],
        "PYTHONUNBUFFERED": "1",
    }
    # a replica of the same shell gets none of them
    replica = process_environment({}, "/runs/dev", {**SHELL, **storage})
    assert not set(replica) & {*storage, "AWS_SECRET_ACCESS_KEY", "AZURE_CLIENT_SECRET"}


def _environ_of(pid: int) -> dict[str, str]:
    """The environment `pid` runs with, once it has exec'd its command: between fork and exec
    /proc shows the parent's (or nothing yet), so wait, bounded, for the child's own command."""
    deadline = time.monotonic() + 10
    while b"time.sleep(30)" not in Path(f"/proc/{pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, f"process {pid} did not exec its command in 10 s"
        time.sleep(0.01)
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if item)


def test_a_started_process_does_not_inherit_the_callers_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    marker = str(tmp_path / "run")
    record, process = start_process(
        "ep-v1-1",
        "replica",
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=process_environment({"MODEL_SIZE": "small"}, marker),
        cwd=tmp_path,
        log_path=tmp_path / "replica.log",
    )
    try:
        environ = _environ_of(record.pid)
    finally:
        stop_processes([record], marker, grace_seconds=5)
        process.wait(timeout=10)
    assert not set(SECRETS) & set(environ)
    assert environ["MODEL_SIZE"] == "small" and environ[RUN_MARKER_ENV] == marker
    assert environ["PATH"] == os.environ["PATH"]


def test_pip_runs_without_the_callers_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**SECRETS, **PIP_SETTINGS}.items():
        monkeypatch.setenv(name, value)
    # Stands in for a virtualenv's python: what `python -m pip install ...` would see.
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nenv\n")
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IXUSR)
    lines: list[str] = []
    _run_pip(fake_python, ("numpy",), lines.append)
    seen = dict(line.split("=", 1) for line in lines if "=" in line)
    assert not set(SECRETS) & set(seen)
    assert {k: seen[k] for k in PIP_SETTINGS} == PIP_SETTINGS
    assert seen["PIP_NO_INPUT"] == "1"
