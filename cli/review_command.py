"""`model-endpoints review`: what a change does to each endpoint, for a pull request.

    model-endpoints review --base REF [--stack NAME ...] [--format markdown|json]

Compares each stack's config at `REF` (read with `git show`, nothing checked out) with the
working tree and prints the report on stdout: Markdown for a pull request comment, or one JSON
object for bots. No Pulumi CLI and no cluster. Exit status 0 when every new config is valid, 1
when one is invalid (the report says why, in the preview's words) or git cannot give the base.
"""

from __future__ import annotations

import argparse
import sys

from cli.console import report_failure, stderr_console
from local_runtime.errors import LocalRunError
from local_runtime.project_files import PROJECT_FILE, find_project_dir, stack_config_dir
from review.git_source import ReviewSourceError, StackFiles, repository_root
from review.render_json import render_json
from review.render_markdown import render_markdown
from review.review_run import review_stacks

__all__ = ["add_review_parser", "run_review"]


def add_review_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `review` subcommand and its options."""
    review = commands.add_parser(
        "review",
        help="Report what a change does to each endpoint's traffic, auth and capacity (for a "
        "pull request).",
        description="Compare each stack's config at a git ref with the working tree: per "
        "endpoint the versions added, removed and changed (only the fields that changed), the "
        "traffic before and after (configured and effective), default and control changes, the "
        "planned rollout steps, auth changes, node pools against their accelerator capacity, a "
        "Mermaid picture, and every validation error of the new config. Needs git, not Pulumi "
        "or a cluster. Exit status 1 when a new config is invalid.",
    )
    review.add_argument(
        "--base", required=True, help="The git ref to compare with, e.g. origin/main or a commit."
    )
    review.add_argument(
        "--stack",
        action="append",
        default=[],
        help="A stack to review (repeatable). Default: every stack with a config here or at the base.",
    )
    review.add_argument(
        "--format",
        choices=("markdown", "json"),
        default="markdown",
        help="markdown: a pull request comment (default); json: one object for bots.",
    )
    review.set_defaults(handler=run_review)


def _stack_files() -> StackFiles:
    project = find_project_dir()
    if project is None:
        raise LocalRunError(f"no {PROJECT_FILE} in this directory or its parents: run from the project")
    root = repository_root(project)
    config_dir = stack_config_dir(project).resolve()
    return StackFiles(root, config_dir.relative_to(root.resolve()).as_posix())


def run_review(args: argparse.Namespace) -> int:
    """Print the report on stdout; 1 when a new config is invalid or git cannot give the base."""
    try:
        report = review_stacks(_stack_files(), args.base, args.stack)
    except ReviewSourceError as error:
        return report_failure(stderr_console(), error)
    text = render_json(report) if args.format == "json" else render_markdown(report)
    sys.stdout.write(text)
    sys.stdout.flush()
    if not report.valid:
        stderr_console().print("[bold red]the new config is invalid[/bold red]: see the report")
        return 1
    return 0
