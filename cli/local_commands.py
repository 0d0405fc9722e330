"""`model-endpoints local up | status | down`: start, show and stop a stack's local run
(`local apply` is `cli.apply_command`)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.console import Progress, print_json, stderr_console
from cli.run_selection import layout_for, select_run
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.key_files import read_credentials
from local_runtime.launch import DEFAULT_SCORING_PORT, UpRequest, start_local_run
from local_runtime.project_files import (
    check_stack_name,
    find_project_dir,
    stack_config_path,
)
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import RunState
from local_runtime.status_report import EndpointStatus, RunReport, read_run_status
from local_runtime.teardown import stop_local_run

__all__ = ["run_document", "run_down", "run_status", "run_up"]

_SAMPLE_BODY = '{"data": [[1.0, 2.0, 3.0]]}'


def run_document(state: RunState, layout: RunLayout) -> dict[str, Any]:
    """What `local up --json` prints: the first endpoint's fields at the top, all under
    `endpoints`."""
    endpoints: dict[str, dict[str, Any]] = {}
    for name, endpoint in state.endpoints.items():
        credentials = read_credentials(layout.keys_dir, name)
        replicas: dict[str, int] = {}
        for replica in endpoint.replicas:
            replicas[replica.version] = replicas.get(replica.version, 0) + 1
        endpoints[name] = {
            "url": endpoint.url,
            "primary_key": credentials.primary_key,
            "secondary_key": credentials.secondary_key,
            "traffic": endpoint.traffic,
            "metrics_url": endpoint.metrics_url,
            "routing_url": endpoint.routing_url,
            "default_version": endpoint.default_version,
            "token_auth_enabled": endpoint.token_auth_enabled,
            "replicas": replicas,
            "skipped_versions": endpoint.skipped_versions,
        }
    first = next(iter(endpoints))
    return {
        "stack": state.stack,
        "run_dir": state.run_dir,
        "endpoint": first,
        **endpoints[first],
        "endpoints": endpoints,
    }


def _print_run(console: Console, document: dict[str, Any]) -> None:
    stack = document["stack"]
    console.print(
        f"\n[bold green]stack {stack} is running locally[/bold green] "
        f"[dim]({document['run_dir']})[/dim]"
    )
    for name, endpoint in document["endpoints"].items():
        table = Table(title=f"endpoint {name}", title_justify="left", show_edge=False)
        for column in ("version", "effective %", "replicas"):
            table.add_column(column, justify="left" if column == "version" else "right")
        for version, share in endpoint["traffic"].items():
            label = f"{version} (default)" if version == endpoint["default_version"] else version
            table.add_row(label, f"{share:g}", str(endpoint["replicas"].get(version, 0)))
        for version, image in endpoint["skipped_versions"].items():
            table.add_row(f"[dim]{version} (skipped: image {image})[/dim]", "-", "0")
        console.print(table)
        console.print(f"  scoring URL    {endpoint['url']}")
        console.print(f"  metrics URL    {endpoint['metrics_url']}")
        console.print(f"  routing        {endpoint['routing_url']}")
        if endpoint["primary_key"]:  # never the values here: `keys` shows them when asked
            console.print(
                f"  API keys       model-endpoints keys --stack {stack} --endpoint {name}"
            )
        if endpoint["token_auth_enabled"]:
            console.print(
                f"  tokens         model-endpoints get-token --stack {stack} --endpoint {name}"
            )
        auth = (
            " -H 'Authorization: Bearer <primary key>'" if endpoint["primary_key"] else ""
        )
        console.print(
            f"  try            curl{escape(auth)} -H 'Content-Type: application/json' "
            f"-d {shlex.quote(_SAMPLE_BODY)} {endpoint['url']}"
        )
    console.print(f"stop it with   model-endpoints local down --stack {stack}\n")


def run_up(args: argparse.Namespace) -> int:
    console = stderr_console()
    stack = check_stack_name(args.stack)
    config = Path(args.config) if args.config else stack_config_path(stack, find_project_dir())
    port = DEFAULT_SCORING_PORT if args.port is None else args.port
    if not 1 <= port <= 65535:
        raise LocalRunError(f"--port {port} is not a TCP port (1-65535)")
    request = UpRequest(
        stack=stack,
        config_file=config,
        run_dir=layout_for(stack).root,
        scoring_port=port,
        on_image_version=args.on_image_version,
        timeout=args.timeout,
    )
    progress = Progress(console)
    with progress.spinner():
        state = start_local_run(request, say=progress.say, pip_line=progress.pip_line)
    document = run_document(state, RunLayout(Path(state.run_dir)))
    if args.json:
        console.print(f"stack {stack} is running locally at {document['url']}")
        print_json(document)
    else:
        _print_run(console, document)
    return 0


def _routing_line(routing: dict[str, Any] | None) -> str:
    """The revision the router applied, as its routing agent reports it."""
    if routing is None:
        return "[red]unknown[/red] (no answer on /routing)"
    line = f"revision {routing.get('revision')} applied at {routing.get('applied_at')}"
    if routing.get("error"):
        line += f" [red]({escape(str(routing['error']))})[/red]"
    return line


def _shift_line(endpoint: EndpointStatus, stack: str) -> str:
    """The shift `local apply` walks (or left behind when killed)."""
    if endpoint.shift is None:
        return f"[red]a shift record that cannot be read: {escape(endpoint.shift_problem or '')}[/red]"
    progress, driver = endpoint.shift.progress, endpoint.shift.driver
    where = f"step {progress.step} of {progress.step_count} ({progress.phase})"
    if progress.revision is not None:
        where += f", revision {progress.revision}"
    if progress.next_step_at:
        where += f", next step at {progress.next_step_at}"
    pid = f"pid {driver.pid}" if driver is not None else "pid unknown"
    if endpoint.shift_running:
        return f"{where}; `local apply` ({pid}) running since {progress.started_at}"
    return (
        f"[yellow]interrupted at {where}: its `local apply` ({pid}) is gone; the next "
        f"`model-endpoints local apply --stack {stack}` rolls it back first[/yellow]"
    )


def _print_status(console: Console, report: RunReport) -> None:
    console.print(
        f"[bold]stack {report.stack}[/bold] ({report.status} since {report.started_at}) "
        f"[dim]{report.run_dir}[/dim]"
    )
    for endpoint in report.endpoints:
        router = "[green]running[/green]" if endpoint.router_running else "[red]not running[/red]"
        table = Table(
            title=f"endpoint {endpoint.name}: router {router}",
            title_justify="left",
            show_edge=False,
        )
        columns = ("version", "replicas up", "in rotation", "effective %", "live %", "requests")
        for column in columns:
            table.add_column(column, justify="left" if column == "version" else "right")
        for version in endpoint.versions:
            label = f"{version.name} (default)" if version.is_default else version.name
            rotation = (
                "?" if version.replicas_in_rotation is None else str(version.replicas_in_rotation)
            )
            requests = "?" if version.requests is None else str(version.requests)
            live = "?" if version.live_share is None else f"{version.live_share:g}"
            if version.live_share is not None and version.live_share != version.share:
                live = f"[yellow]{live}[/yellow]"
            table.add_row(
                label,
                f"{version.replicas_running}/{version.replicas}",
                rotation,
                f"{version.share:g}",
                live,
                requests,
            )
            green = version.green
            if green is not None:  # being replaced blue/green: the new replicas, as the router sees them
                green_live = "?" if green.live_share is None else f"{green.live_share:g}"
                table.add_row(
                    f"  {version.name} green ({', '.join(green.replicas)})",
                    f"{green.replicas_running}/{len(green.replicas)}",
                    "",
                    "",
                    green_live,
                    "",
                )
        console.print(table)
        console.print(f"  scoring URL  {endpoint.url}\n  metrics URL  {endpoint.metrics_url}")
        console.print(f"  routing      {_routing_line(endpoint.routing)}")
        if endpoint.shift is not None or endpoint.shift_problem is not None:
            console.print(f"  shift        {_shift_line(endpoint, report.stack)}")


def run_status(args: argparse.Namespace) -> int:
    stack, layout = select_run(args.stack)
    report = read_run_status(layout, stack)
    if args.json:
        print_json(report.to_json())
    else:
        _print_status(stderr_console(), report)
    return 0


def run_down(args: argparse.Namespace) -> int:
    console = stderr_console()
    try:
        stack, layout = select_run(args.stack)
    except NotRunningError as error:
        console.print(str(error))
        return 0
    report = stop_local_run(layout)
    if not report.found:
        console.print(f"stack {stack} is not running locally: nothing to stop")
    else:
        console.print(
            f"stopped the local run of stack {stack}: {report.signalled} process(es) were still "
            f"running; removed {report.run_dir}"
        )
    return 0
