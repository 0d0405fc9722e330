"""End to end: the real `azmlinfsrv`, started by `scoring/serve_local.py` on loopback, serving a
user script through the collection wrapper."""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import signal
import socket
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

SCORING = Path(importlib.util.find_spec("scoring").origin).parent  # type: ignore[arg-type]
START_TIMEOUT_SECONDS = 60

SCORE = """
    import json

    import features

    def init():
        print("init ran")  # azmlinfsrv turns this into a log record; the data line stays intact

    def run(raw_data):
        rows = json.loads(raw_data)["data"]
        if not rows:
            raise ValueError("no rows to score")
        return {"sums": features.sums(rows)}
"""
FEATURES = """
    def sums(rows):
        return [sum(row) for row in rows]
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
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


def _post(port: int, body: dict[str, Any]) -> tuple[int, Any]:
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


def _wait_until_healthy(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
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


def _data_lines(path: Path, count: int) -> list[dict[str, Any]]:
    """The first `count` recorded lines in `path` (a server log or a data file), waiting briefly."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in path.read_text().splitlines() if line.startswith('{"ts":')]
        if len(lines) >= count or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def _stop(server: subprocess.Popen[bytes]) -> None:
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


@pytest.mark.parametrize("mode", ["stdout", "file"])
def test_azmlinfsrv_serves_the_wrapped_script_on_loopback_and_records_each_call(
    mode: str, azmlinfsrv_python: Path, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "score.py").write_text(textwrap.dedent(SCORE))
    (app / "features.py").write_text(textwrap.dedent(FEATURES))
    log = tmp_path / "server.log"
    data_file = tmp_path / "blue.jsonl"
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),  # gunicorn puts its control socket under $HOME
        "MODEL_ENDPOINTS_ENTRY_SCRIPT": str(app / "score.py"),
        "MODEL_ENDPOINTS_VERSION": "blue",
    }
    command = [
        str(azmlinfsrv_python), str(SCORING / "serve_local.py"),
        "--entry_script", str(SCORING / "collect.py"), "--port", str(port),
    ]
    if mode == "file":
        env["MODEL_ENDPOINTS_MODEL_DATA_FILE"] = str(data_file)
        command += ["--worker_count", "2"]  # two processes append to one file
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_healthy(server, port, log)
        assert _listening_addresses(port) == {"127.0.0.1"}

        assert _post(port, {"data": [[1, 2], [3, 4]]}) == (200, {"sums": [3, 7]})
        status, body = _post(port, {"data": []})
        assert status == 500 and "scoring script" in body["message"]
        for n in range(6):
            assert _post(port, {"data": [[n]]}) == (200, {"sums": [n]})

        records = _data_lines(log if mode == "stdout" else data_file, 8)
        assert len(records) == 8
        for record in records:
            assert list(record) == ["ts", "version", "request", "response", "error", "duration_ms"]
            ts = datetime.datetime.fromisoformat(record.pop("ts"))
            assert ts.utcoffset() == datetime.timedelta(0)
            assert 0 <= record.pop("duration_ms") < 10_000
        assert records[0] == {
            "version": "blue",
            "request": {"data": [[1, 2], [3, 4]]},
            "response": {"sums": [3, 7]},
            "error": None,
        }
        assert records[1] == {
            "version": "blue",
            "request": {"data": []},
            "response": None,
            "error": {"type": "ValueError", "message": "no rows to score"},
        }
        assert sorted(record["response"]["sums"][0] for record in records[2:]) == list(range(6))
        if mode == "file":
            assert '{"ts":' not in log.read_text()  # file mode keeps the data out of the logs
    finally:
        _stop(server)
