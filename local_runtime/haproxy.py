"""Debian's haproxy as the local router: find the binary, check a config, the command that runs it.

The router is HAProxy in a cluster and locally alike, so the local run exercises the same
configuration text. Without the binary nothing can route: say how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from local_runtime.errors import HAProxyMissingError, RouterStartError

__all__ = ["INSTALL_HINT", "check_router_config", "haproxy_binary", "router_argv"]

INSTALL_HINT = (
    "install Debian's haproxy package: `sudo apt-get install haproxy` "
    "(in this repository: `./scripts/install-system-packages.sh haproxy`, which `make setup` runs)"
)
_DEBIAN_PATH = "/usr/sbin/haproxy"  # not on a normal user's PATH


def haproxy_binary() -> str:
    """The haproxy executable; HAProxyMissingError with the install command if there is none."""
    found = shutil.which("haproxy") or (_DEBIAN_PATH if os.access(_DEBIAN_PATH, os.X_OK) else None)
    if found is None:
        raise HAProxyMissingError(
            f"haproxy is not installed, and the local router is HAProxy: {INSTALL_HINT}"
        )
    return found


def check_router_config(binary: str, cfg_path: Path) -> None:
    """`haproxy -c`; RouterStartError with HAProxy's own words if it rejects the config."""
    result = subprocess.run(
        [binary, "-c", "-q", "-f", str(cfg_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise RouterStartError(
            f"haproxy rejected the rendered router config {cfg_path}:\n"
            f"{(result.stdout + result.stderr).strip()}"
        )


def router_argv(binary: str, cfg_path: Path) -> list[str]:
    """Master-worker mode in the foreground (`-W -db`): the recorded pid is the master's."""
    return [binary, "-W", "-db", "-f", str(cfg_path)]
