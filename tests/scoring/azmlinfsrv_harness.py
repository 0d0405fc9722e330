"""Running Azure ML's inference server in tests: on loopback, waited for, asked to score, stopped
with everything it started. Shared by the scoring tests and the tests that run a cluster pod's
install and serve steps for real."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "SCORING",
    "listening_addresses",
    "post",
    "stop",
    "wait_until_healthy",
]

SCORING = Path(importlib.util.find_spec("scoring").origin).parent  # type: ignore[arg-type]
START_TIMEOUT_SECONDS = 60


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port`, from the kernel's tables."""
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        with open(table) as rows:
            next(rows)
            for row in rows:
                local, state = row.split()[1], row.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    if width == 8:
                        addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                    else:
                        addresses.add(address)
    return addresses


def post(port: int, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/score",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_until_healthy(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"azmlinfsrv exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"azmlinfsrv did not answer on port {port} in {START_TIMEOUT_SECONDS} s:\n{log.read_text()[-4000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # anything of its session left over
    except ProcessLookupError:
        pass
    server.wait(timeout=10)
