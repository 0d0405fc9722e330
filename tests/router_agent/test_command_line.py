"""The agent's command line: what callers build is what it parses, and bad usage exits 2."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from router_agent.command_line import AgentOptions, agent_arguments, parse_arguments

OPTIONS = AgentOptions(
    routing_dir=Path("/usr/local/etc/haproxy-routing"),
    admin_socket="/var/lib/haproxy/admin.sock",
    map_path="/usr/local/etc/haproxy-routing/split.map",
    host="127.0.0.1",
    port=8406,
    poll_seconds=0.25,
)


def test_the_arguments_built_are_the_arguments_parsed() -> None:
    arguments = agent_arguments(OPTIONS)
    assert arguments[arguments.index("--listen") + 1] == "127.0.0.1:8406"
    assert parse_arguments(arguments) == OPTIONS
    defaults = parse_arguments(arguments[:-2])  # without --poll-seconds
    assert defaults.poll_seconds == 0.5
    assert defaults.request_log is None


def test_a_request_log_round_trips() -> None:
    options = replace(OPTIONS, request_log="/var/lib/haproxy/admin.requests.sock")
    arguments = agent_arguments(options)
    assert arguments[-2:] == ["--request-log", "/var/lib/haproxy/admin.requests.sock"]
    assert parse_arguments(arguments) == options


def test_a_request_log_path_is_checked_like_a_socket(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = [*agent_arguments(OPTIONS), "--request-log", "/" + "s" * 120]
    with pytest.raises(SystemExit):
        parse_arguments(arguments)
    assert "request log socket" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--listen", "localhost:8406", "is not IPv4:PORT"),
        ("--listen", "127.0.0.1", "is not IPv4:PORT"),
        ("--listen", "127.0.0.1:0", "is not IPv4:PORT"),
        ("--listen", "127.0.0.1:70000", "is not IPv4:PORT"),
        ("--poll-seconds", "0", "is not a number of seconds"),
        ("--poll-seconds", "nan", "is not a number of seconds"),
        ("--map-path", "relative/split.map", "map path 'relative/split.map' is not allowed"),
        ("--map-path", "/a/../split.map", "is not allowed"),
        ("--map-path", "/a b/split.map", "is not allowed"),
        ("--admin-socket", "/" + "s" * 120, "longer than a UNIX socket path"),
        ("--routing-dir", "/r;x", "is not allowed"),
    ],
)
def test_bad_usage_exits_2_naming_the_value(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = agent_arguments(OPTIONS)
    arguments[arguments.index(flag) + 1] = value
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(arguments)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
