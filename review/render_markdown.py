"""The review report as Markdown for a pull request comment: tables, lists and a Mermaid picture.

The first line is a marker (`MARKER`) by which a CI job finds its own earlier comment and edits
it, so a pull request carries one review that follows its latest commit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from review.field_changes import FieldChange
from review.report import EndpointReview, PoolCapacity, ReviewReport, StackReview, TrafficRow

__all__ = ["MARKER", "render_markdown"]

MARKER = "<!-- model-endpoints-review -->"
_ARROW = " → "


def _code(text: str) -> str:
    """`text` as one inline code span, whatever backticks it holds (CommonMark: a longer fence),
    so a config value can neither end the span nor carry Markdown or HTML into the comment."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, str):
        # one line: a value with a line break or an edge space is shown JSON-quoted
        shown = json.dumps(value) if value != value.strip() or "\n" in value or "\r" in value else value
        return _code(shown)
    if isinstance(value, bool):
        return _code(str(value).lower())
    if isinstance(value, float):
        return _code(f"{value:g}")
    return _code(json.dumps(value, sort_keys=True))


def _fenced(lines: Sequence[str]) -> list[str]:
    """`lines` in a code block whose fence no line can close."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def _before_after(before: str, after: str) -> str:
    return before if before == after else f"{before}{_ARROW}{after}"


def _roles(roles: Sequence[str]) -> str:
    return ", ".join(roles) if roles else "–"


def _changes(changes: Sequence[FieldChange], indent: str = "") -> list[str]:
    return [
        f"{indent}- {_code(change.path)}: {_value(change.before)}{_ARROW}{_value(change.after)}"
        for change in changes
    ]


def _traffic_table(rows: Sequence[TrafficRow]) -> list[str]:
    lines = [
        "| version | role | configured | effective |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| `{row.version}` "
            f"| {_before_after(_roles(row.roles_before), _roles(row.roles_after))} "
            f"| {_before_after(_percent(row.configured_before), _percent(row.configured_after))} "
            f"| {_before_after(_percent(row.effective_before), _percent(row.effective_after))} |"
        )
    return lines


def _routing_lines(endpoint: EndpointReview) -> list[str]:
    lines = []
    if endpoint.change == "changed":
        if endpoint.default_before != endpoint.default_after:
            lines.append(
                f"- default version: `{endpoint.default_before}`{_ARROW}`{endpoint.default_after}`"
            )
        if endpoint.control_before != endpoint.control_after:
            lines.append(
                f"- control version: {_value(endpoint.control_before)}{_ARROW}"
                f"{_value(endpoint.control_after)}"
            )
        if endpoint.moved_percent:
            lines.append(f"- {endpoint.moved_percent:g}% of the traffic goes to other versions")
    return lines


def _plan_lines(endpoint: EndpointReview) -> list[str]:
    if not endpoint.planned_steps:
        return []
    policy = endpoint.shift_policy or "no deployment_config: one step, no bake, no automatic rollback"
    versions = [row.version for row in endpoint.traffic if row.effective_after is not None or any(
        row.version in step.traffic for step in endpoint.planned_steps
    )]
    lines = [
        "",
        f"**Planned rollout** ({policy})",
        "",
        "| step | of the change | " + " | ".join(f"`{v}`" for v in versions) + " | bake |",
        "|---|---|" + "---|" * len(versions) + "---|",
    ]
    for number, step in enumerate(endpoint.planned_steps, start=1):
        shares = " | ".join(_percent(step.traffic.get(v)) for v in versions)
        lines.append(
            f"| {number} | {step.percent_of_change:g}% | {shares} | {step.wait_seconds} s |"
        )
    return lines


def _version_lines(endpoint: EndpointReview) -> list[str]:
    lines = []
    lines += [f"- added: `{name}`" for name in endpoint.versions_added if endpoint.change != "added"]
    lines += [f"- removed: `{name}`" for name in endpoint.versions_removed if endpoint.change != "removed"]
    for version in endpoint.versions_changed:
        lines.append(f"- changed: `{version.name}`")
        lines += _changes(version.changes, "  ")
        if version.update is not None:
            lines.append(f"  - **update**: {version.update}")
    return ["", "**Versions**", "", *lines] if lines else []


def _endpoint(endpoint: EndpointReview) -> list[str]:
    lines = [f"#### Endpoint `{endpoint.name}`: {endpoint.change}", ""]
    if endpoint.change == "unchanged":
        return lines[:1] + [""]
    lines += ["**Traffic**", "", *_traffic_table(endpoint.traffic)]
    routing = _routing_lines(endpoint)
    lines += ["", *routing] if routing else []
    lines += _plan_lines(endpoint)
    lines += _version_lines(endpoint)
    if endpoint.endpoint_changes:
        lines += ["", "**Endpoint settings**", "", *_changes(endpoint.endpoint_changes)]
    if endpoint.auth:
        lines += ["", "**Auth**", "", *(f"- {note}" for note in endpoint.auth)]
    if endpoint.topology:
        lines += ["", "**Topology**", "", "```mermaid", endpoint.topology.rstrip("\n"), "```"]
    return lines + [""]


def _capacity_row(row: PoolCapacity) -> str:
    def number(value: int | None) -> str:
        return "–" if value is None else str(value)

    asked = _before_after(number(row.asked_before), number(row.asked_after))
    capacity = _before_after(number(row.capacity_before), number(row.capacity_after))
    verdict = "ok"
    if row.asked_after is None:
        verdict = "pool removed"
    elif row.over_capacity:
        assert row.capacity_after is not None
        verdict = f"**over capacity by {row.asked_after - row.capacity_after}**"
    by = "<br/>".join(row.asked_by) or "–"
    return f"| `{row.pool}` | `{row.sku}` | `{row.resource}` | {asked} | {capacity} | {verdict} | {by} |"


def _pools(stack: StackReview) -> list[str]:
    lines: list[str] = []
    for pool in stack.pools:
        lines.append(f"- pool {_code(pool.name)}: {pool.change}")
        lines += _changes(pool.changes, "  ")
    if stack.capacity:
        if lines:
            lines.append("")
        lines += [
            "| pool | SKU | resource | accelerators asked (most replicas) | pool has (most nodes) "
            "| verdict | asked by (replicas x per replica) |",
            "|---|---|---|---|---|---|---|",
            *(_capacity_row(row) for row in stack.capacity),
        ]
    return ["#### Node pools and capacity", "", *lines, ""] if lines else []


def _stack(stack: StackReview) -> list[str]:
    lines = [f"### Stack `{stack.stack}` (`{stack.config_file}`)", ""]
    if stack.base_note:
        lines += [f"_{stack.base_note}_", ""]
    if stack.errors:
        lines += ["**The new config is invalid: the preview fails with**", "", *_fenced(stack.errors), ""]
    for endpoint in stack.endpoints:
        lines += _endpoint(endpoint)
    lines += _pools(stack)
    return lines


def render_markdown(report: ReviewReport) -> str:
    """The report as one Markdown document (a pull request comment)."""
    verdict = "valid" if report.valid else "**invalid**"
    lines = [
        MARKER,
        f"## model-endpoints review against `{report.base_ref}`",
        "",
        f"{len(report.stacks)} stack(s), new config {verdict}.",
        "",
    ]
    for stack in report.stacks:
        lines += _stack(stack)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"
