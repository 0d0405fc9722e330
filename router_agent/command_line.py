"""The agent's command line, parsed and built in one place (the local launcher and a pod's
container spec build it with `agent_arguments`; `python -m router_agent` parses it)."""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from router_agent.safe_values import check_path

__all__ = ["DEFAULT_POLL_SECONDS", "AgentOptions", "agent_arguments", "parse_arguments"]

DEFAULT_POLL_SECONDS = 0.5
_POLL_RANGE = (0.01, 60.0)


@dataclass(frozen=True)
class AgentOptions:
    """Where the table is, where HAProxy is, and where the agent answers."""

    routing_dir: Path
    admin_socket: str
    map_path: str
    host: str
    port: int
    poll_seconds: float = DEFAULT_POLL_SECONDS
    # HAProxy's request log (a unix datagram socket the agent binds): per-version request times
    # for `GET /latency`; None keeps no request log.
    request_log: str | None = None


def agent_arguments(options: AgentOptions) -> list[str]:
    """The arguments after `python -m router_agent` that run an agent with `options`."""
    request_log = [] if options.request_log is None else ["--request-log", options.request_log]
    return [
        "--routing-dir",
        str(options.routing_dir),
        "--admin-socket",
        options.admin_socket,
        "--map-path",
        options.map_path,
        "--listen",
        f"{options.host}:{options.port}",
        "--poll-seconds",
        f"{options.poll_seconds:g}",
        *request_log,
    ]


def _listen(value: str) -> tuple[str, int]:
    host, separator, port = value.rpartition(":")
    try:
        address = ipaddress.IPv4Address(host)
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not IPv4:PORT (e.g. 127.0.0.1:8406)") from None
    if not separator or not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not IPv4:PORT (e.g. 127.0.0.1:8406)")
    return str(address), number


def _poll_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    low, high = _POLL_RANGE
    if not low <= seconds <= high:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds from {low} to {high:g}")
    return seconds


def _checked(what: str, *, unix_socket: bool = False) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            return check_path(value, what, unix_socket=unix_socket)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return check


def parse_arguments(argv: Sequence[str] | None = None) -> AgentOptions:
    """The options of `python -m router_agent ...` (exits with status 2 on bad usage)."""
    parser = argparse.ArgumentParser(
        prog="python -m router_agent",
        description="Apply the routing directory's table to HAProxy's split map through the "
        "admin socket whenever it changes, and answer GET /routing with the revision applied.",
    )
    parser.add_argument("--routing-dir", required=True, type=_checked("routing directory"),
                        help="The routing ConfigMap's volume: ..data, split.map, revision.")
    parser.add_argument("--admin-socket", required=True,
                        type=_checked("admin socket", unix_socket=True),
                        help="HAProxy's admin socket (stats socket ... level admin).")
    parser.add_argument("--map-path", required=True, type=_checked("map path"),
                        help="The split map's path exactly as haproxy.cfg names it.")
    parser.add_argument("--listen", required=True, type=_listen,
                        help="IPv4:PORT the agent answers GET /routing on (loopback).")
    parser.add_argument("--poll-seconds", type=_poll_seconds, default=DEFAULT_POLL_SECONDS,
                        help=f"How often ..data is checked (default {DEFAULT_POLL_SECONDS:g}).")
    parser.add_argument("--request-log", type=_checked("request log socket", unix_socket=True),
                        help="A unix datagram socket to bind for HAProxy's request log: "
                        "per-version request times served at GET /latency.")
    args = parser.parse_args(argv)
    host, port = args.listen
    return AgentOptions(
        routing_dir=Path(args.routing_dir),
        admin_socket=args.admin_socket,
        map_path=args.map_path,
        host=host,
        port=port,
        poll_seconds=args.poll_seconds,
        request_log=args.request_log,
    )
