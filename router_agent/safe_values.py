"""The strict patterns every name and path must match before HAProxy sees it (stdlib only).

HAProxy's configuration, map files and admin socket are line- and word-oriented: whitespace splits
words, `;` separates runtime commands, `#` starts a comment, a newline starts a new line. The
router's renderer (`router.validation`) and the routing agent check values against these patterns,
defined once here so both refuse exactly the same values.
"""

from __future__ import annotations

import re

__all__ = [
    "BACKEND_PATTERN",
    "BACKEND_PREFIX",
    "GREEN_SUFFIX",
    "NAME",
    "NAME_PATTERN",
    "LOG_SOCKET_PATH_MAX",
    "UNIX_SOCKET_PATH_MAX",
    "check_path",
]

# A version or endpoint name (the spec's rule is stricter still: it must start with a letter).
NAME = r"[a-z0-9][a-z0-9-]{0,30}"
NAME_PATTERN = re.compile(rf"^{NAME}$")
# The HAProxy backend of a version: `be_<version>`; while a version is replaced blue/green, its new
# pods are `be_<version>_green` (`_` is in no name, so no version's backend can be taken for it).
BACKEND_PREFIX = "be_"
GREEN_SUFFIX = "_green"
BACKEND_PATTERN = re.compile(rf"^{BACKEND_PREFIX}{NAME}(?:{GREEN_SUFFIX})?$")
# Absolute file paths: '/'-separated segments of letters, digits, '.', '_' and '-'; no '..'.
_PATH_PATTERN = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
UNIX_SOCKET_PATH_MAX = 107  # sun_path is 108 bytes including the terminating NUL
# HAProxy 2.6 refuses a longer unix socket as a `log` target ("socket path ... too long (max 97)")
LOG_SOCKET_PATH_MAX = 97


def check_path(value: object, what: str = "path", *, unix_socket: bool = False) -> str:
    """An absolute path made of safe characters only (no spaces, quotes, '..', '#', ';', '$');
    with `unix_socket`, also short enough to be a UNIX socket's path. Returns it, or raises
    ValueError naming `what` and the value."""
    if (
        not isinstance(value, str)
        or not _PATH_PATTERN.fullmatch(value)
        or any(part in (".", "..") for part in value.split("/"))
    ):
        raise ValueError(
            f"{what} {value!r} is not allowed: use an absolute path of letters, digits, "
            "'.', '_', '-' and '/' (no '..')"
        )
    if unix_socket and len(value.encode()) > UNIX_SOCKET_PATH_MAX:
        raise ValueError(
            f"{what} {value!r} is longer than a UNIX socket path may be "
            f"({UNIX_SOCKET_PATH_MAX} bytes)"
        )
    return value
