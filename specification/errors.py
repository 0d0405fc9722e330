"""Validation errors as a user reads them: one line per problem, the config path first."""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["format_validation_error"]


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def format_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line per error: `<prefix><path>: <message> (got <value>)`, e.g. with prefix
    `model-endpoints:` -> `model-endpoints:endpoints[0].versions[1].gpu_cores: ...`."""
    lines = []
    for item in error.errors(include_url=False):
        path = _path(tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if not path:  # a cross-field rule of the root model: each line names its own path
            lines += [f"{prefix}{line}" for line in message.splitlines()]
            continue
        where = f"{prefix}{path}"
        got = ""
        if item["type"] not in ("value_error", "missing") and not isinstance(item.get("input"), dict):
            got = f" (got {item.get('input')!r})"
        lines.append(f"{where}: {message}{got}")
    return "\n".join(lines)
