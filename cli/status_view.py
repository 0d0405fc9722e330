"""How `describe` shows an endpoint's status to a person: a status line, the versions' desired
against current weights and replicas, the pending deployment, the conditions and the routers."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from rollout.endpoint_status import EndpointStatus, PendingDeployment

__all__ = ["print_status"]

_STATUS_STYLE = {
    "InService": "green",
    "Creating": "yellow",
    "Updating": "yellow",
    "RollingBack": "yellow",
    "Failed": "red",
    "UpdateRollbackFailed": "red",
}
_CONDITION_STYLE = {"True": "green", "False": "red", "Unknown": "yellow"}


def _number(value: float | int | None, suffix: str = "") -> str:
    return "?" if value is None else f"{value:g}{suffix}"


def _versions(status: EndpointStatus) -> Table:
    """Desired (declared) against current (live) weights; the replicas the Deployment asks for
    against those ready, and, when the stack declares fixed counts, the declared count (it
    differs from the desired one while the live count is retained)."""
    declared = any(version.declared_replicas is not None for version in status.versions)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("version")
    columns = ["desired %", "current %", "desired replicas", "current replicas"]
    for column in columns + (["declared replicas"] if declared else []):
        table.add_column(column, justify="right")
    for version in status.versions:
        label = f"{version.name} (default)" if version.is_default else version.name
        weights_differ = version.current_weight != version.desired_weight
        replicas_differ = version.current_replicas != version.desired_replicas
        current_weight = _number(version.current_weight)
        current_replicas = _number(version.current_replicas)
        row = [
            escape(label),
            _number(version.desired_weight),
            f"[yellow]{current_weight}[/yellow]" if weights_differ else current_weight,
            _number(version.desired_replicas),
            f"[yellow]{current_replicas}[/yellow]" if replicas_differ else current_replicas,
        ]
        if declared:
            shown = "-" if version.declared_replicas is None else _number(version.declared_replicas)
            retained = version.declared_replicas not in (None, version.desired_replicas)
            row.append(f"[yellow]{shown}[/yellow]" if retained else shown)
        table.add_row(*row)
    return table


def _pending_line(pending: PendingDeployment) -> str:
    target = ", ".join(f"{name} {share:g}%" for name, share in pending.target_weights.items())
    line = (
        f"step {pending.step} of {pending.step_count} ({pending.phase}), "
        f"{pending.percent_of_change:g}% of the change toward {target}; "
        f"started {pending.started_at}"
    )
    if pending.next_step_at is not None:
        line += f", next step at {pending.next_step_at}"
    return line


def _conditions(status: EndpointStatus) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    for column in ("condition", "status", "reason", "message"):
        table.add_column(column, overflow="fold")
    for condition in status.conditions:
        style = _CONDITION_STYLE[condition.status]
        table.add_row(
            condition.type,
            f"[{style}]{condition.status}[/{style}]",
            condition.reason,
            escape(condition.message),
        )
    return table


def _routers(status: EndpointStatus) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("router", overflow="fold")
    table.add_column("revision", justify="right")
    for column in ("applied at", "problem"):
        table.add_column(column, overflow="fold")
    for router in status.routers:
        problem = router.error or ""
        if not router.answered:
            problem = f"no answer: {problem}" if problem else "no answer"
        table.add_row(
            escape(router.name),
            _number(router.revision),
            router.applied_at or "-",
            f"[red]{escape(problem)}[/red]" if problem else "",
        )
    return table


def print_status(console: Console, status: EndpointStatus, source: str) -> None:
    """Print `status` of an endpoint read from `source` (e.g. `local run dev`)."""
    style = _STATUS_STYLE[status.endpoint_status]
    console.print(
        f"[bold]endpoint {escape(status.endpoint_name)}[/bold]: "
        f"[bold {style}]{status.endpoint_status}[/bold {style}] [dim]({escape(source)})[/dim]"
    )
    revision = _number(status.routing_revision)
    console.print(
        f"  routing revision {revision}, last modified {status.last_modified_time or '?'}"
    )
    if status.failure_reason:
        console.print(f"  [red]failure reason:[/red] {escape(status.failure_reason)}")
    if status.pending_deployment is not None:
        console.print(f"  pending deployment: {escape(_pending_line(status.pending_deployment))}")
    for table in (_versions(status), _conditions(status), _routers(status)):
        console.print(Padding(table, (1, 0, 0, 2), expand=False))
    console.print()
