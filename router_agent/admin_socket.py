"""Send one command to HAProxy's admin socket (the runtime API) and read its answer.

One connection per command, HAProxy's non-interactive mode: it answers and closes, so each command
gets its own answer and a failed one is seen before the next is sent.
"""

from __future__ import annotations

import socket

__all__ = ["send_command"]

_MAX_ANSWER = 1 << 20  # far more than any answer to the commands the agent sends


def send_command(socket_path: str, command: str, timeout: float = 5.0) -> str:
    """Send `command` on the UNIX socket `socket_path` and return HAProxy's whole answer.

    Raises ValueError for a command holding a line break (it would be a second command) and
    OSError when the socket cannot be reached or does not answer within `timeout` seconds."""
    if "\n" in command or "\r" in command:
        raise ValueError(f"a runtime command is one line: {command!r}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(socket_path)
        connection.sendall(command.encode("ascii") + b"\n")
        connection.shutdown(socket.SHUT_WR)
        chunks: list[bytes] = []
        received = 0
        while received < _MAX_ANSWER and (chunk := connection.recv(65536)):
            chunks.append(chunk)
            received += len(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")
