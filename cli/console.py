"""Where the command line writes: people read stderr (rich), scripts read one JSON object on stdout.

Progress while a virtualenv builds is a spinner with pip's latest line on a terminal, and pip's
lines as they come otherwise (CI logs, pipes), so a long first build never looks stuck.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.status import Status

__all__ = ["Progress", "print_json", "report_error", "stderr_console"]

_PIP_MILESTONES = ("Collecting ", "Installing collected", "Successfully installed", "ERROR")


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(document: dict[str, Any]) -> None:
    """The command's one JSON object, on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def report_error(console: Console, message: str, details: str = "") -> None:
    console.print(f"[bold red]error:[/bold red] {escape(message)}")
    if details:
        console.print(f"[dim]{escape(details)}[/dim]")


class Progress:
    """Steps as lines; pip's output as a spinner line on a terminal, else line by line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def say(self, message: str) -> None:
        self.console.print(f"[cyan]•[/cyan] {escape(message)}")
        if self._status is not None:
            self._status.update(f"[cyan]{escape(message)}[/cyan]")

    def pip_line(self, line: str) -> None:
        if self._status is not None:
            self._status.update(f"[cyan]building virtualenv[/cyan] [dim]{escape(line[:100])}[/dim]")
        elif line.startswith(_PIP_MILESTONES):  # a log, not a terminal: one line per package
            self.console.print(f"  [dim]pip: {escape(line.split(' (from ')[0])}[/dim]")

    @contextmanager
    def spinner(self) -> Iterator[Progress]:
        """Show pip's progress in a spinner while the block runs (on a terminal only)."""
        if not self.console.is_terminal:
            yield self
            return
        with self.console.status("[cyan]preparing[/cyan]") as status:
            self._status = status
            try:
                yield self
            finally:
                self._status = None


def report_failure(console: Console, error: BaseException) -> int:
    """Report a failed command (a local run's or a deployed stack's error, whose message says why
    and what to do) or an interruption; return the command's exit status."""
    from local_runtime.errors import ReplicaStartError

    if isinstance(error, KeyboardInterrupt):
        report_error(console, "interrupted")
        return 130
    if isinstance(error, ReplicaStartError) and error.log_tail:
        report_error(console, str(error), f"end of its output:\n{error.log_tail}")
    else:
        report_error(console, str(error))
    return 1
