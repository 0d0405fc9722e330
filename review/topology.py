"""A Mermaid flowchart of where an endpoint's traffic goes: router, versions, node pools.

GitHub renders Mermaid in comments and Markdown files, so the same text serves the review report
of a pull request, `model-endpoints describe` and the README's pictures of the example stacks.
Pure: specs (and, for a live endpoint, the shares its routers serve) in, text out. Node ids are
derived from the validated names (lowercase letters, digits and '-'), so they never collide and
never need quoting; labels are quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.placement import accelerator_request
from specification.skus import AcceleratorKind
from specification.version import VersionSpec

__all__ = ["endpoint_flowchart", "flowchart", "router_id", "version_id", "pool_id"]


def router_id(endpoint: str) -> str:
    """The node id of an endpoint's router."""
    return f"router_{endpoint.replace('-', '_')}"


def version_id(endpoint: str, version: str) -> str:
    """The node id of a version (its endpoint's name is part of it: two endpoints may share names)."""
    return f"version_{endpoint.replace('-', '_')}__{version.replace('-', '_')}"


def pool_id(pool: str) -> str:
    """The node id of a node pool, shared by every endpoint whose versions run on it."""
    return f"pool_{pool.replace('-', '_')}"


# Mermaid entity codes for what would end a label or be read as markup in it (a custom SKU's
# accelerator_model is free text); names are validated and need none of this.
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#60;", ">": "#62;", "\n": " ", "\r": " "}


def _escape(line: str) -> str:
    return "".join(_ENTITIES.get(character, character) for character in line)


def _label(*lines: str) -> str:
    return '"' + "<br/>".join(_escape(line) for line in lines if line) + '"'


def _auth(endpoint: EndpointSpec) -> str:
    kinds = [name for name, on in (("key", endpoint.auth_enabled), ("token", endpoint.token_auth_enabled)) if on]
    return " + ".join(kinds) + " auth" if kinds else "no auth"


def _router_node(endpoint: EndpointSpec) -> str:
    router = endpoint.router
    exposure = f"{router.service_type}, {'TLS' if router.tls else 'no TLS'}"
    return f"{router_id(endpoint.name)}([{_label(f'{endpoint.name} router', exposure, _auth(endpoint))}])"


def _replicas(version: VersionSpec) -> str:
    if version.autoscaled:
        return f"replicas {version.autoscale_min_replicas}-{version.autoscale_max_replicas} (autoscaled)"
    return f"replicas {version.num_replicas}"


def _roles(endpoint: EndpointSpec, version: VersionSpec) -> str:
    roles = ["default"] if version.name == endpoint.default_version else []
    roles.append("control" if version.name == endpoint.control_version else "treatment")
    return ", ".join(roles)


def _pool_node(pool: NodePoolSpec) -> str:
    sku = pool.sku_spec
    if pool.accelerator is AcceleratorKind.NONE:
        detail = f"up to {pool.max_nodes} nodes, no accelerator"
    else:
        per_node = pool.accelerators_per_node
        model = f" {sku.accelerator_model}" if sku.accelerator_model else ""
        nodes = f"{pool.max_nodes} node{'s' if pool.max_nodes != 1 else ''}"
        detail = f"{nodes} x {per_node}{model} = {pool.max_nodes * per_node} {pool.resource_name}"
    return f"{pool_id(pool.name)}[({_label(f'pool {pool.name}', sku.name, detail)})]"


def _endpoint_lines(
    endpoint: EndpointSpec,
    pools: Mapping[str, NodePoolSpec],
    shares: Mapping[str, float] | None,
    used_pools: list[str],
) -> list[str]:
    traffic = dict(shares) if shares is not None else endpoint.effective_traffic()
    lines = [f"  {_router_node(endpoint)}"]
    for version in endpoint.versions:
        node = version_id(endpoint.name, version.name)
        share = traffic.get(version.name)
        share_text = "?" if share is None else f"{share:g}%"
        lines.append(
            f"  {node}[{_label(version.name, _roles(endpoint, version), _replicas(version))}]"
        )
        lines.append(f"  {router_id(endpoint.name)} -->|{_label(share_text)}| {node}")
        pool = pools.get(version.node_pool) if version.node_pool is not None else None
        if pool is None:
            continue
        if pool.name not in used_pools:
            used_pools.append(pool.name)
        request = accelerator_request(version, pool)
        edge = f"{request.count} x {request.resource} per replica" if request is not None else "no accelerator"
        lines.append(f"  {node} -->|{_label(edge)}| {pool_id(pool.name)}")
    return lines


def flowchart(
    endpoints: Sequence[EndpointSpec],
    pools: Sequence[NodePoolSpec],
    shares: Mapping[str, Mapping[str, float]] | None = None,
) -> str:
    """The flowchart of `endpoints` and the pools their versions run on. `shares` gives, per
    endpoint, the shares to show (e.g. what its routers serve); by default the effective
    traffic the config declares."""
    by_name = {pool.name: pool for pool in pools}
    used: list[str] = []
    lines = ["flowchart LR"]
    for endpoint in endpoints:
        lines += _endpoint_lines(endpoint, by_name, (shares or {}).get(endpoint.name), used)
    lines += [f"  {_pool_node(by_name[name])}" for name in used]
    return "\n".join(lines) + "\n"


def endpoint_flowchart(
    endpoint: EndpointSpec,
    pools: Sequence[NodePoolSpec],
    shares: Mapping[str, float] | None = None,
) -> str:
    """The flowchart of one endpoint."""
    return flowchart([endpoint], pools, {endpoint.name: shares} if shares is not None else None)
