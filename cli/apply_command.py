"""`model-endpoints local apply`: move a running local run's traffic to its stack config, stepwise.

Progress (a bar per step, the alarms as they are read) and the summary go to stderr; with `--json`
stdout gets one object (`apply_document`), also when a shift was rolled back. A rollback exits
with status 1 and the step engine's own message, the one `pulumi up` gives. SIGTERM is turned
into an interruption, so a shift stopped by `kill` rolls back like one stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.console import print_json, report_error, stderr_console
from cli.run_selection import layout_for
from cli.shift_progress import ShiftProgressView
from local_runtime.apply_events import ApplyReport, EndpointOutcome
from local_runtime.local_apply import ApplyRequest, ShiftFailedError, apply_local_changes
from local_runtime.project_files import check_stack_name, find_project_dir, stack_config_path
from local_runtime.routing_record import table_to_json

__all__ = ["apply_document", "run_apply"]


def _outcome_document(outcome: EndpointOutcome) -> dict[str, Any]:
    timings = {t.step: t for t in outcome.result.steps} if outcome.result is not None else {}
    steps = []
    for index, step in enumerate(outcome.steps, start=1):
        timing = timings.get(index)
        steps.append(
            {
                "step": index,
                "traffic": step.traffic,
                "percent_of_change": step.percent_of_change,
                "wait_seconds": step.wait_seconds,
                "revision": timing.revision if timing else None,
                "catch_up_seconds": round(timing.catch_up_seconds, 3) if timing else None,
                "bake_seconds": round(timing.bake_seconds, 3) if timing else None,
            }
        )
    return {
        "outcome": outcome.outcome,
        "from": outcome.start.traffic,
        "from_revision": outcome.start_revision,
        "target": outcome.target.traffic,
        "traffic": outcome.table.traffic,
        "table": table_to_json(outcome.table),
        "revision": outcome.revision,
        "steps": steps,
        "duration_seconds": (
            round(outcome.result.duration_seconds, 3) if outcome.result is not None else None
        ),
        "recovered_revision": outcome.recovered,
        "failure": outcome.failure,
    }


def _apply_outcome(report: ApplyReport, error: str | None) -> str:
    failed = report.rolled_back
    if error is None or failed is None:
        return "applied"
    return failed.outcome


def apply_document(report: ApplyReport, error: str | None = None) -> dict[str, Any]:
    """What `local apply --json` prints: the apply's outcome (`applied`, `rolled_back`,
    `rollback_failed`) and error message, and per endpoint its outcome (`unchanged`, `shifted`,
    `replaced`, `rolled_back`, `rollback_failed`), the traffic before, targeted and now, the
    revision now and each step (a replacement's steps name the version's new replicas
    `<version>_green`)."""
    return {
        "stack": report.stack,
        "outcome": _apply_outcome(report, error),
        "error": error,
        "endpoints": {e.endpoint: _outcome_document(e) for e in report.endpoints},
    }


def _print_summary(console: Console, report: ApplyReport) -> None:
    for outcome in report.endpoints:
        verb = {
            "unchanged": "unchanged",
            "shifted": "shifted",
            "replaced": "a version replaced blue/green",
            "rolled_back": "rolled back",
            "rollback_failed": "ROLLBACK FAILED (routers' state unknown)",
        }
        table = Table(
            title=f"endpoint {outcome.endpoint}: {verb[outcome.outcome]}, revision "
            f"{outcome.revision} live",
            title_justify="left",
            show_edge=False,
        )
        for column in ("version", "before %", "target %", "live %"):
            table.add_column(column, justify="left" if column == "version" else "right")
        for version, share in outcome.table.traffic.items():
            label = f"{version} (default)" if version == outcome.table.default_version else version
            table.add_row(
                escape(label),
                f"{outcome.start.traffic.get(version, 0.0):g}",
                f"{outcome.target.traffic.get(version, 0.0):g}",
                f"{share:g}",
            )
        console.print(table)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt while the block runs, so the engine rolls back."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_apply(args: argparse.Namespace) -> int:
    console = stderr_console()
    stack = check_stack_name(args.stack)
    config = Path(args.config) if args.config else stack_config_path(stack, find_project_dir())
    request = ApplyRequest(stack=stack, config_file=config, run_dir=layout_for(stack).root)
    try:
        with _sigterm_interrupts(), ShiftProgressView(console) as view:
            report = apply_local_changes(request, on_event=view)
    except ShiftFailedError as failed:
        report_error(console, str(failed))
        _print_summary(console, failed.report)
        if args.json:
            print_json(apply_document(failed.report, str(failed)))
        return 1
    _print_summary(console, report)
    if args.json:
        print_json(apply_document(report))
    return 0
