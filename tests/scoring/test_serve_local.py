"""End to end: the real `azmlinfsrv`, started by `scoring/serve_local.py` on loopback, serving a
user script through the collection wrapper."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port
from tests.scoring.azmlinfsrv_harness import (
    SCORING,
    listening_addresses,
    post,
    stop,
    wait_until_healthy,
)

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


def _data_lines(path: Path, count: int) -> list[dict[str, Any]]:
    """The first `count` recorded lines in `path` (a server log or a data file), waiting briefly."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in path.read_text().splitlines() if line.startswith('{"ts":')]
        if len(lines) >= count or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)



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
    port = free_port()
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
        wait_until_healthy(server, port, log)
        assert listening_addresses(port) == {"127.0.0.1"}

        assert post(port, {"data": [[1, 2], [3, 4]]}) == (200, {"sums": [3, 7]})
        status, body = post(port, {"data": []})
        assert status == 500 and "scoring script" in body["message"]
        for n in range(6):
            assert post(port, {"data": [[n]]}) == (200, {"sums": [n]})

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
        stop(server)
