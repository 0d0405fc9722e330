"""Without Debian's haproxy nothing can route: the error says how to install it."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_runtime import haproxy
from local_runtime.errors import HAProxyMissingError


def test_a_missing_haproxy_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(haproxy.shutil, "which", lambda name: None)
    monkeypatch.setattr(haproxy.os, "access", lambda path, mode: False)
    with pytest.raises(HAProxyMissingError, match=r"sudo apt-get install haproxy"):
        haproxy.haproxy_binary()


def test_the_router_runs_in_the_foreground_as_master_and_workers() -> None:
    assert haproxy.router_argv("/usr/sbin/haproxy", Path("/r/haproxy.cfg")) == [
        "/usr/sbin/haproxy",
        "-W",
        "-db",
        "-f",
        "/r/haproxy.cfg",
    ]
