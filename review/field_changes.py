"""Which fields of a spec changed between two configs, read from the pydantic models themselves.

A review lists only what a change touches. Comparing the models' JSON dumps (defaults filled in)
rather than the YAML text means a field written out at its default is no change, a reordered
mapping is no change, and a field another issue adds to a model shows up here without an edit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

__all__ = ["HIDDEN", "FieldChange", "field_changes", "model_changes"]

# Where a value may be a credential (a version's environment): the review says it changed, never what to.
HIDDEN = "(hidden)"
_HIDDEN_MAPPINGS = ("env",)
# A URL's user information (`https://user:token@prometheus...`) and its query (a storage SAS
# token, `?sv=...&sig=...`) can be credentials too: shown as `***` and `?(hidden)`.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")
_URL_QUERY = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s?#]*)\?[^\s#]*")
_MISSING = object()


@dataclass(frozen=True)
class FieldChange:
    """One leaf that differs: its dotted path (`inference_config.entry_script`, `env.TOKEN`), the
    value before and after (None: unset or absent)."""

    path: str
    before: Any
    after: Any


def _hidden(path: str) -> bool:
    return any(path == name or path.startswith(f"{name}.") for name in _HIDDEN_MAPPINGS)


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """The leaves of two JSON-ready values that differ, in the order of `after`'s keys then the
    keys only `before` has. Lists are compared whole: an item's position has no name to show."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        changes: list[FieldChange] = []
        keys = [*after, *(key for key in before if key not in after)]
        for key in keys:
            child = f"{path}.{key}" if path else str(key)
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old is _MISSING or new is _MISSING:
                if old != new:
                    changes.append(_leaf(child, old, new))
                continue
            changes += field_changes(old, new, child)
        return changes
    if before == after:
        return []
    return [_leaf(path, before, after)]


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return _URL_QUERY.sub(r"\1?(hidden)", _URL_USERINFO.sub(r"\1***@", value))
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _redacted(item) for key, item in value.items()}
    return value


def _leaf(path: str, before: Any, after: Any) -> FieldChange:
    before = None if before is _MISSING else _redacted(before)
    after = None if after is _MISSING else _redacted(after)
    if _hidden(path):
        before = HIDDEN if before is not None else None
        after = HIDDEN if after is not None else None
    return FieldChange(path, before, after)


def model_changes(
    before: BaseModel, after: BaseModel, exclude: frozenset[str] = frozenset()
) -> list[FieldChange]:
    """The fields of two models of one type that differ, `exclude`d top-level fields left out."""
    return field_changes(
        before.model_dump(mode="json", exclude=set(exclude)),
        after.model_dump(mode="json", exclude=set(exclude)),
    )
