"""The agent's end of HAProxy's request log: parsing lines, and a real unix datagram socket."""

from __future__ import annotations

import json
import socket
import stat
import time
from pathlib import Path

import pytest

from router_agent.latency_windows import LatencyWindows
from router_agent.request_log import RequestLogReceiver, parse_request_line


def _line(**fields: object) -> bytes:
    return json.dumps({"ts": 1.5, "endpoint": "ep", "status": 200, **fields}).encode() + b"\n"


def test_a_served_request_gives_its_version_and_total_time() -> None:
    assert parse_request_line(_line(version="v2", total_ms=312)) == ("v2", 312)


@pytest.mark.parametrize(
    "line",
    [
        _line(version="-", total_ms=3),  # refused before any version was chosen
        _line(version="", total_ms=3),
        _line(version="v1", total_ms=-1),  # HAProxy had nothing to time
        _line(version="v1", total_ms="12"),
        _line(version="v1", total_ms=True),
        _line(version="v1"),
        b"not json",
        b"[1, 2]",
        b"",
    ],
)
def test_lines_without_a_served_version_or_a_time_are_not_counted(line: bytes) -> None:
    assert parse_request_line(line) is None


def _send(path: str, *lines: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
        for line in lines:
            client.sendto(line, path)


def _wait_for_requests(windows: LatencyWindows, version: str, count: int) -> dict[str, object]:
    deadline = time.monotonic() + 5
    while True:
        entry = windows.window(60)["versions"].get(version)
        if entry is not None and entry["requests"] >= count:
            return dict(entry)
        assert time.monotonic() < deadline, windows.window(60)
        time.sleep(0.01)


def test_the_receiver_counts_datagrams_into_its_windows(tmp_path: Path) -> None:
    path = str(tmp_path / "admin.requests.sock")
    receiver = RequestLogReceiver(path, LatencyWindows(time.monotonic)).start()
    try:
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
        _send(path, _line(version="v1", total_ms=7), b"garbage", _line(version="-", total_ms=1))
        _send(path, *(_line(version="v1", total_ms=7) for _ in range(4)))
        entry = _wait_for_requests(receiver.windows, "v1", 5)
        assert entry == {"requests": 5, "buckets": [[7, 5]]}
        assert set(receiver.windows.window(60)["versions"]) == {"v1"}
    finally:
        receiver.stop()
    assert not Path(path).exists()  # the socket is removed on stop


def test_a_stale_socket_is_replaced_but_no_other_file(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(path))
    stale.close()  # an agent that died leaves its socket file behind
    RequestLogReceiver(str(path), LatencyWindows(time.monotonic)).stop()

    regular = tmp_path / "config.txt"
    regular.write_text("keep me")
    with pytest.raises(OSError, match="exists and is not a socket"):
        RequestLogReceiver(str(regular), LatencyWindows(time.monotonic))
    assert regular.read_text() == "keep me"
