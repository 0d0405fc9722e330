"""Runtime-API commands that swap a map of a running HAProxy atomically, without a reload.

`prepare map` allocates an empty new version of the map, `add map @N` fills it, `commit map @N`
makes it live in one step, so no request sees a half-written table. The admin socket treats `;` as
a command separator and whitespace as an argument separator, so every path, key and value is
checked before it is put in a command. Runtime edits are lost on reload: the map file must hold the
same table. Pure functions: sending the commands is `router_agent.admin_socket`'s business.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router_agent.safe_values import BACKEND_PATTERN, NAME, check_path

__all__ = [
    "SHOW_BACKENDS",
    "load_map_commands",
    "parse_backends",
    "parse_prepare_map_response",
    "prepare_map_command",
]

SHOW_BACKENDS = "show backend"  # HAProxy answers `# name` and one backend name per line

# Keys: a rand(10000) bucket range, a version name or a SHA-256 hex digest. Values: a backend
# (`be_<version>`, or `be_<version>_green` for a version being replaced) or a name (key id).
_MAP_KEY = re.compile(rf"^(\d{{1,4}}:\d{{1,4}}|{NAME}|[0-9a-f]{{64}})$")
_MAP_VALUE = re.compile(rf"^({NAME}|{BACKEND_PATTERN.pattern[1:-1]})$")
_PREPARED = re.compile(r"New version created:\s*(\d+)")


def _check_key(value: object) -> str:
    if not isinstance(value, str) or not _MAP_KEY.fullmatch(value):
        raise ValueError(
            f"map key {value!r} is not allowed in a runtime command: use a bucket range "
            "(e.g. 0:2999), a version name or a SHA-256 hex digest"
        )
    return value


def _check_value(value: object) -> str:
    if not isinstance(value, str) or not _MAP_VALUE.fullmatch(value):
        raise ValueError(
            f"map value {value!r} is not allowed in a runtime command: use a backend "
            "(be_<version>, be_<version>_green) or a name (lowercase letters, digits, '-')"
        )
    return value


def _check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"map version {version!r} is not a non-negative integer")
    return version


def prepare_map_command(map_path: str) -> str:
    """`prepare map <path>`; HAProxy answers `New version created: N`."""
    return f"prepare map {check_path(map_path, 'map path')}"


def parse_prepare_map_response(response: str) -> int:
    """The version number N from the answer to `prepare map`; ValueError if HAProxy refused."""
    match = _PREPARED.search(response)
    if match is None:
        raise ValueError(f"unexpected answer to 'prepare map': {response.strip()!r}")
    return int(match.group(1))


def load_map_commands(map_path: str, entries: Sequence[tuple[str, str]], version: int) -> list[str]:
    """`add map @N <path> <key> <value>` for each entry, then `commit map @N <path>`."""
    path = check_path(map_path, "map path")
    version = _check_version(version)
    commands = [
        f"add map @{version} {path} {_check_key(key)} {_check_value(value)}"
        for key, value in entries
    ]
    commands.append(f"commit map @{version} {path}")
    return commands


def parse_backends(response: str) -> set[str]:
    """The backend names in the answer to `show backend`."""
    return {line.strip() for line in response.splitlines() if line.strip() and not line.startswith("#")}
