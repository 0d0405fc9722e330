"""The pack's thresholds: their defaults, their schema, and the values a run gives.

`pulumi preview --policy-pack-config FILE` gives each policy its `enforcementLevel` (handled by
the SDK) and the properties below; a property left out takes its default here, whatever the
engine does with the schema's defaults, so a policy never runs without its thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULTS", "SCHEMAS", "setting", "is_production"]

DEFAULTS: dict[str, dict[str, Any]] = {
    "production-endpoint-auth": {
        # a stack whose name matches is production: prod, production, prod-eu, production.us
        "production_stack_pattern": r"^(prod|production)([-_.].*)?$",
        # or an endpoint (or the stack) tagged so: any one pair matching is enough
        "production_tags": {"environment": "production"},
    },
    "public-endpoint-tls": {},
    "gpu-version-limits": {
        "accelerator_resources": ["nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915"],
        "required_limits": ["cpu", "memory"],
    },
    "version-liveness-probe": {},
    "guarded-traffic-shift": {
        # a change moving more than this share of all traffic needs a policy with an alarm
        "max_unguarded_shift_percent": 20,
    },
}

SCHEMAS: dict[str, dict[str, dict[str, Any]]] = {
    "production-endpoint-auth": {
        "production_stack_pattern": {
            "type": "string",
            "description": "A regular expression: stacks whose name matches are production.",
            "default": DEFAULTS["production-endpoint-auth"]["production_stack_pattern"],
        },
        "production_tags": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Tags (key: value) that mark an endpoint or the stack as production.",
            "default": DEFAULTS["production-endpoint-auth"]["production_tags"],
        },
    },
    "public-endpoint-tls": {},
    "gpu-version-limits": {
        "accelerator_resources": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Extended resources that make a version a GPU version.",
            "default": DEFAULTS["gpu-version-limits"]["accelerator_resources"],
        },
        "required_limits": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Limits a GPU version's containers must set.",
            "default": DEFAULTS["gpu-version-limits"]["required_limits"],
        },
    },
    "version-liveness-probe": {},
    "guarded-traffic-shift": {
        "max_unguarded_shift_percent": {
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "description": "The largest share of all traffic one change may move without a "
            "deployment_config that has at least one rollback alarm.",
            "default": DEFAULTS["guarded-traffic-shift"]["max_unguarded_shift_percent"],
        },
    },
}


def setting(policy: str, config: Mapping[str, Any], name: str) -> Any:
    """The value of `name` for `policy`: the run's, else the default."""
    value = config.get(name) if config else None
    return DEFAULTS[policy][name] if value is None else value


def is_production(
    stack: str,
    tags: Mapping[str, Any],
    stack_tags: Mapping[str, str],
    config: Mapping[str, Any],
) -> str | None:
    """Why a resource counts as production (the stack's name or a tag), or None."""
    policy = "production-endpoint-auth"
    pattern = str(setting(policy, config, "production_stack_pattern"))
    if stack and re.search(pattern, stack):
        return f"stack {stack!r} matches {pattern!r}"
    wanted: Mapping[str, Any] = setting(policy, config, "production_tags")
    for source, found in (("endpoint tag", tags), ("stack tag", stack_tags)):
        for key, value in wanted.items():
            if found.get(key) == value:
                return f"{source} {key}={value}"
    return None
