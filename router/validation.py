"""Strict checks for every value the router writes into haproxy.cfg, map files or runtime commands.

HAProxy's configuration, map files and admin socket are line- and word-oriented: a newline adds a
config line (`v2\n server evil ...` passes `haproxy -c`), `#` starts a comment, `;` separates
runtime commands, whitespace splits map keys from values, `$`/`%` expand, quotes re-tokenize. So no
value reaches any of them unless it matches a pattern that admits none of those characters. Each
check raises ValueError naming the offending value, or returns the value unchanged. The name
pattern and the path check are the routing agent's (`router_agent.safe_values`), so the renderer
and the agent beside HAProxy refuse exactly the same values.
"""

from __future__ import annotations

import ipaddress
import math
import re

from router_agent.safe_values import NAME_PATTERN, check_path

__all__ = [
    "NAME_PATTERN",
    "check_name",
    "check_path",
    "check_dns_name",
    "check_http_path",
    "check_host",
    "check_port",
    "check_ipv4",
    "check_sha256_hex",
    "check_claim",
    "check_positive_int",
]

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# JWT `iss` / `aud` values compared in the config: URL-ish, no whitespace, quotes, '#', '$', '%'.
_CLAIM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}$")


def _describe(value: object) -> str:
    return repr(value)


def check_name(value: object, what: str = "name") -> str:
    """A version or endpoint name: `^[a-z0-9][a-z0-9-]{0,30}$`."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{what} {_describe(value)} is not allowed in the router configuration: use 1-31 "
            f"lowercase letters, digits and '-', not starting with '-' ({NAME_PATTERN.pattern})"
        )
    return value


_HTTP_PATH_PATTERN = re.compile(r"^/[A-Za-z0-9._/-]{0,254}$")


def check_http_path(value: object, what: str = "HTTP path") -> str:
    """A URL path written into the config (e.g. a health check): '/' and safe characters only."""
    if not isinstance(value, str) or not _HTTP_PATH_PATTERN.fullmatch(value) or "/../" in f"{value}/":
        raise ValueError(
            f"{what} {_describe(value)} is not allowed: use '/' followed by letters, digits, "
            "'.', '_', '-' and '/' (no '..')"
        )
    return value


def check_dns_name(value: object, what: str = "DNS name") -> str:
    """A lowercase DNS name (e.g. a headless Service `svc.ns.svc.cluster.local`)."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 253
        or not all(_DNS_LABEL.fullmatch(label) for label in value.split("."))
    ):
        raise ValueError(
            f"{what} {_describe(value)} is not a valid lowercase DNS name (dot-separated labels "
            "of letters, digits and '-')"
        )
    return value


def check_ipv4(value: object, what: str = "address") -> str:
    """A dotted IPv4 address literal."""
    try:
        if not isinstance(value, str):
            raise ValueError
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{what} {_describe(value)} is not an IPv4 address") from None
    if str(address) != value:
        raise ValueError(f"{what} {_describe(value)} is not in canonical dotted form")
    return value


def check_host(value: object, what: str = "host") -> str:
    """An IPv4 literal or a lowercase DNS name."""
    try:
        return check_ipv4(value, what)
    except ValueError:
        pass
    try:
        return check_dns_name(value, what)
    except ValueError:
        raise ValueError(
            f"{what} {_describe(value)} is neither an IPv4 address nor a lowercase DNS name"
        ) from None


def check_port(value: object, what: str = "port") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{what} {_describe(value)} is not a TCP port (1-65535)")
    return value


def check_positive_int(value: object, what: str, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} {_describe(value)} must be a positive integer")
    if maximum is not None and value > maximum:
        raise ValueError(f"{what} {_describe(value)} must be at most {maximum}")
    return value


def check_sha256_hex(value: object, what: str = "key hash") -> str:
    """A SHA-256 digest as 64 lowercase hex digits (the router's map compares lowercase)."""
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise ValueError(
            f"{what} {_describe(value)} is not a SHA-256 digest in lowercase hex (64 characters)"
        )
    return value


def check_claim(value: object, what: str) -> str:
    """A JWT `iss`/`aud` value written into an ACL: URL characters only."""
    if not isinstance(value, str) or not _CLAIM_PATTERN.fullmatch(value):
        raise ValueError(
            f"{what} {_describe(value)} is not allowed: use letters, digits and . _ : / @ - only "
            "(no whitespace, quotes, '#', '$', '%')"
        )
    return value


def check_finite_number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} {_describe(value)} is not a finite number")
    return float(value)
