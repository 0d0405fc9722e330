"""The router's data plane: HAProxy configuration rendered from the spec (pure functions).

`render_router` turns an `EndpointSpec`, its effective traffic table, where each version's replicas
are and the auth material into haproxy.cfg plus map files; `router.runtime` gives the admin-socket
commands for a weight change without reload; `router.checks` catches missing key files before
start. Names are exported lazily so importing `router.names` alone stays cheap and cycle-free.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "render_router": "router.render",
    "ApiKeyHashes": "router.model",
    "AuthMaterial": "router.model",
    "DnsReplicas": "router.model",
    "Replicas": "router.model",
    "RouterConfig": "router.model",
    "RouterSettings": "router.model",
    "StaticReplicas": "router.model",
    "TokenVerification": "router.model",
    "backend_name": "router.names",
    "SPLIT_MAP": "router.names",
    "VERSIONS_MAP": "router.names",
    "API_KEYS_MAP": "router.names",
    "traffic_steps": "router.split",
    "split_entries": "router.split",
    "prepare_map_command": "router.runtime",
    "parse_prepare_map_response": "router.runtime",
    "load_map_commands": "router.runtime",
    "weight_change_commands": "router.runtime",
    "split_map_file": "router.runtime",
    "RouterFileError": "router.checks",
    "check_required_files": "router.checks",
    "referenced_files": "router.checks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'router' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
