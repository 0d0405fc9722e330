"""`model-endpoints describe`: an endpoint's status the seed-003 way, for a local run or a
deployed stack.

    model-endpoints describe --stack dev [--endpoint E] [--target local|stack] [--json]
                             [--cwd DIR] [--kubeconfig PATH] [--context NAME] [--topology]

The local run is read as `local status` reads it (`cli.local_endpoint_status`); a deployed stack
through its outputs and the cluster (`cli.stack_endpoint_status`). Without `--target`, the
stack's local run if it has one (a run whose router died is worth describing too), else the
deployed stack. Without `--endpoint`, every endpoint. Failures are the CLI's usual ones: a
`LocalRunError`, a `StackOutputError` or a `ClusterError`, reported as one message, exit 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from cli.console import print_json, stderr_console
from cli.credential_commands import stack_outputs
from cli.describe_topology import status_topologies
from cli.local_endpoint_status import read_local_statuses
from cli.run_selection import layout_for
from cli.stack_endpoint_status import read_stack_status
from cli.status_view import print_status
from credentials.endpoint_outputs import ENDPOINTS, chosen_endpoint
from credentials.stack_outputs import StackOutputError
from kube_adapter import ClusterAdapter, ClusterCredentials
from local_runtime.errors import LocalRunError
from local_runtime.project_files import check_stack_name
from local_runtime.run_record import read_state
from rollout.endpoint_status import EndpointStatus

__all__ = ["add_describe_parser", "describe_target", "run_describe"]


def add_describe_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    describe = commands.add_parser(
        "describe",
        help="Show an endpoint's status: desired and current weights and replicas, the pending "
        "traffic shift, conditions (local run or deployed stack).",
        description="Show the status of a stack's endpoints as SageMaker's DescribeEndpoint does: "
        "the endpoint status (Creating, Updating, InService, RollingBack, Failed, "
        "UpdateRollbackFailed), per version the desired and current weight and replica count, "
        "the traffic shift in flight (step k of n, the next step's time), conditions, the "
        "failure reason and the last modified time. Reads a local run, or a deployed stack's "
        "outputs and its cluster (router pods' /routing, the versions' Deployments).",
    )
    describe.add_argument("--stack", required=True, help="Stack name, e.g. dev.")
    describe.add_argument("--endpoint", help="Endpoint name (default: every endpoint).")
    describe.add_argument(
        "--target",
        choices=("local", "stack"),
        help="local: the stack's local run; stack: the deployed stack (its outputs and its "
        "cluster). Default: the local run if the stack has one, else the deployed stack.",
    )
    describe.add_argument(
        "--cwd", help="Directory of Pulumi.yaml, for --target stack (pulumi --cwd)."
    )
    describe.add_argument(
        "--kubeconfig",
        help="For --target stack: the cluster's kubeconfig (a path or its text), as the "
        "Kubernetes provider takes it (default: $KUBECONFIG, else ~/.kube/config).",
    )
    describe.add_argument(
        "--context", help="For --target stack: the kubeconfig context (default: the current one)."
    )
    describe.add_argument(
        "--json",
        action="store_true",
        help="Print one JSON object on stdout (messages stay on stderr).",
    )
    describe.add_argument(
        "--topology",
        action="store_true",
        help="Also draw each endpoint as a Mermaid flowchart (router, versions with the share "
        "the routers serve, node pools), from the stack's config; in --json as `topology`.",
    )
    describe.set_defaults(handler=run_describe)


def describe_target(args: argparse.Namespace) -> str:
    """`local` or `stack`: as asked, else local when the stack has a local run."""
    if args.target is not None:
        return str(args.target)
    try:
        layout = layout_for(check_stack_name(args.stack))
    except LocalRunError:
        return "stack"  # e.g. org/project/dev: never a local run
    return "local" if read_state(layout) is not None else "stack"


def _stack_statuses(args: argparse.Namespace) -> Sequence[EndpointStatus]:
    outputs = stack_outputs(args)
    if args.endpoint is not None:
        names = [chosen_endpoint(outputs, args.endpoint, stack=args.stack)]
    else:
        exported = outputs.get(ENDPOINTS)
        names = sorted(exported) if isinstance(exported, dict) else []
        if not names:
            raise StackOutputError(f"the deployed stack {args.stack} exports no endpoints")
    adapter = ClusterAdapter(ClusterCredentials(kubeconfig=args.kubeconfig, context=args.context))
    return [read_stack_status(outputs, name, adapter) for name in names]


def run_describe(args: argparse.Namespace) -> int:
    target = describe_target(args)
    if target == "local":
        statuses = read_local_statuses(layout_for(args.stack), args.stack, args.endpoint)
    else:
        statuses = _stack_statuses(args)
    pictures = status_topologies(args.stack, statuses) if args.topology else {}
    if args.json:
        endpoints = {status.endpoint_name: status.to_json() for status in statuses}
        for name, picture in pictures.items():
            endpoints[name]["topology"] = picture
        document: dict[str, Any] = {"stack": args.stack, "target": target, "endpoints": endpoints}
        print_json(document)
    else:
        console = stderr_console()
        source = f"local run {args.stack}" if target == "local" else f"deployed stack {args.stack}"
        for status in statuses:
            print_status(console, status, source)
            if status.endpoint_name in pictures:
                console.print("```mermaid\n" + pictures[status.endpoint_name] + "```", markup=False)
    return 0
