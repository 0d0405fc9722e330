"""Check failures as plain values, so the rules stay free of Pulumi and testable on their own.

A `Problem` names the input property it is about (`shares.versionb`, `properties.team`) and says
what is wrong and how to fix it; the provider glue turns each into a `CheckFailure`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

__all__ = ["Problem", "problems_from_validation_error"]


@dataclass(frozen=True)
class Problem:
    """One reason an input is rejected: the property path and a message the user can act on."""

    property: str
    reason: str


def _property_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad mapping key: the key itself is the path
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problems_from_validation_error(
    error: ValidationError, prefix: tuple[str, ...] = ()
) -> list[Problem]:
    """One `Problem` per pydantic error, its property the error's location (`shares.Bad_Name`),
    after `prefix` (the field, when a single field was validated on its own)."""
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] not in ("value_error", "missing", "extra_forbidden"):
            message += f" (got {item.get('input')!r})"
        if item["type"] == "extra_forbidden":
            message = "unknown input; remove it"
        problems.append(Problem(_property_path((*prefix, *item["loc"])), message))
    return problems
