"""The mocked preview (`make preview`): what `pulumi preview` of the example stacks would create.

Runs the real stack program under Pulumi's mocks in preview mode, with no cluster and no Pulumi
CLI, and prints the resource tree and each endpoint's effective traffic split.
Usage: python -m offline.mocked_preview [stack ...]
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from offline.program import STACKS_DIR, run_stack
from offline.recording import Graph, RecordedResource
from specification.stack import StackSpec
from specification.stack_config import (
    StackConfigError,
    read_stack_config,
    stack_config_file,
    validate_stack_config,
)

__all__ = ["main"]


def _label(resource: RecordedResource) -> str:
    kind = resource.type.rsplit(":", 1)[-1]
    name = (resource.inputs.get("metadata") or {}).get("name")
    detail = f" [dim]{name}[/dim]" if name else ""
    return f"[bold]{kind}[/bold] {resource.name}{detail}"


def _tree(graph: Graph, stack: str) -> Tree:
    root = Tree(f"[bold cyan]stack {stack}[/bold cyan]")
    nodes: dict[str, Tree] = {}
    for resource in graph.resources:
        parent = nodes.get(resource.parent, root)
        nodes[resource.urn] = parent.add(_label(resource))
    return root


def _traffic(graph: Graph, spec: StackSpec) -> Table:
    table = Table(title="traffic split: configured, and effective (remainder to the default)")
    for column in ("endpoint", "version", "role"):
        table.add_column(column)
    table.add_column("configured %", justify="right")
    table.add_column("effective %", justify="right")
    effective = graph.exports.get("effective_traffic", {})
    for endpoint in spec.endpoints:
        for version in endpoint.versions:
            default = " (default)" if version.name == endpoint.default_version else ""
            table.add_row(
                endpoint.name,
                f"{version.name}{default}",
                version.role,
                f"{version.traffic_percentile:g}",
                f"{effective[endpoint.name][version.name]:g}",
            )
    return table


def main(argv: list[str]) -> int:
    console = Console()
    for stack in argv or ["dev", "gpu"]:
        config_file = stack_config_file(STACKS_DIR, stack)
        try:
            config = read_stack_config(config_file)
            spec = validate_stack_config(config, config_file)
        except StackConfigError as error:
            Console(stderr=True, highlight=False).print(str(error), markup=False)
            return 1
        graph = run_stack(config, preview=True)
        console.rule(f"pulumi preview --stack {stack} (offline, under Pulumi's mocks)")
        console.print(_tree(graph, stack))
        console.print(_traffic(graph, spec))
        for endpoint in spec.endpoints:
            console.print(
                f"endpoint [bold]{endpoint.name}[/bold]: scoring URL "
                f"{graph.exports['endpoints'][endpoint.name]['scoring_url']} (known after `up` for "
                "a LoadBalancer); API keys and signing keys are secret stack outputs"
            )
        console.print(f"{len(graph.resources)} resources would be created.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
