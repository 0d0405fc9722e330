"""Make a table the live content of an HAProxy map in one atomic step (prepare, add, commit).

Every answer is checked before the next command is sent, and `commit` goes out only when every
`add` succeeded, so a failure leaves the live map as it was: the prepared version is never
committed, and HAProxy drops it when a later version is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from router_agent.runtime_api import (
    load_map_commands,
    parse_prepare_map_response,
    prepare_map_command,
)

__all__ = ["MapSwapError", "Send", "swap_map"]

Send = Callable[[str], str]  # one runtime command in, HAProxy's answer out


class MapSwapError(RuntimeError):
    """HAProxy refused a command of the swap; the live map is unchanged."""


def swap_map(send: Send, map_path: str, entries: Sequence[tuple[str, str]]) -> int:
    """Replace the content of the map `map_path` by `entries` through `send`; returns the map
    version HAProxy committed. Raises MapSwapError naming the refused command and HAProxy's
    answer, ValueError for an entry unsafe in a command (before anything is sent), and whatever
    `send` raises (OSError when the socket is unreachable)."""
    load_map_commands(map_path, entries, 0)  # refuse unsafe entries before sending anything
    prepare = prepare_map_command(map_path)
    answer = send(prepare)
    try:
        version = parse_prepare_map_response(answer)
    except ValueError:
        raise MapSwapError(f"{prepare!r} was refused: {answer.strip()!r}") from None
    for command in load_map_commands(map_path, entries, version):
        answer = send(command).strip()
        if answer:
            raise MapSwapError(f"{command!r} was refused: {answer!r}")
    return version
