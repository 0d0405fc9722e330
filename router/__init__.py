"""The router's data plane: HAProxy configuration rendered from the spec (pure functions).

`render_router` turns an `EndpointSpec`, its routing table, where each version's replicas are
and the auth material into haproxy.cfg plus map files, and the split map apart (it goes into the
routing directory, which the routing agent, `router_agent`, applies live); `router.runtime` gives
the admin-socket commands for a weight change without reload (the agent's builders);
`router.checks` catches missing key files before start.
"""

from __future__ import annotations

from router.checks import RouterFileError, check_required_files, referenced_files
from router.model import (
    ApiKeyHashes,
    AuthMaterial,
    DnsReplicas,
    Replicas,
    RouterConfig,
    RouterSettings,
    StaticReplicas,
    TokenVerification,
)
from router.names import API_KEYS_MAP, SPLIT_MAP, VERSIONS_MAP, backend_name
from router.render import render_router
from router.runtime import (
    load_map_commands,
    parse_prepare_map_response,
    prepare_map_command,
    split_map_file,
    weight_change_commands,
)
from router.split import split_entries

__all__ = [
    "API_KEYS_MAP",
    "SPLIT_MAP",
    "VERSIONS_MAP",
    "ApiKeyHashes",
    "AuthMaterial",
    "DnsReplicas",
    "Replicas",
    "RouterConfig",
    "RouterFileError",
    "RouterSettings",
    "StaticReplicas",
    "TokenVerification",
    "backend_name",
    "check_required_files",
    "load_map_commands",
    "parse_prepare_map_response",
    "prepare_map_command",
    "referenced_files",
    "render_router",
    "split_entries",
    "split_map_file",
    "weight_change_commands",
]
