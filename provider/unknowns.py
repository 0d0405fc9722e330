"""The one place that recognises values Pulumi does not know yet (in a preview, pending outputs).

During `pulumi preview` the engine may send an input as the unknown sentinel; the SDK's server
hands it to `check` and `diff` as a `pulumi.output.Unknown`. Every provider asks this module, and
only this module, whether its inputs are complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN_SENTINEL

__all__ = ["contains_unknown", "unknown_value"]


def contains_unknown(value: Any) -> bool:
    """Whether `value`, or anything nested in it, is not known yet (`Unknown`, wire sentinel)."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN_SENTINEL):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(item) for item in value)
    return False


def unknown_value() -> Any:
    """A value not known yet, for an input computed from unknown ones (a preview shows it as
    computed)."""
    return Unknown()
