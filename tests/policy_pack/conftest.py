"""The policy pack's modules, importable as Pulumi imports them: top level, from the pack's folder.

Pulumi runs the pack's `__main__.py` in its own virtualenv with the pack's folder on the path;
the tests put the same folder on the path and call the validate functions directly with the
SDK's argument types, as the SDK's own tests do (building a `PolicyPack` starts a server)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

POLICY_PACK_DIR = Path(__file__).resolve().parents[2] / "policy_pack"
if str(POLICY_PACK_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_PACK_DIR))

__all__ = ["POLICY_PACK_DIR", "validation_args"]


def validation_args(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    *,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> ResourceValidationArgs:
    """The arguments the SDK's analyzer builds for one resource of stack `stack`: the inputs behind
    the SDK's proxy (lists and maps that raise on a value unknown during a preview), as `Analyze`
    passes them."""
    urn = f"urn:pulumi:{stack}::model-endpoints::{resource_type}::{name}"
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    proxied = unknown_checking_proxy(dict(props))
    return ResourceValidationArgs(resource_type, proxied, urn, name, options, None, config, stack_tags)
