"""The review report as JSON, for bots: the report model's fields as they are, plus the verdicts
(`valid`, `over_capacity`) a bot would otherwise recompute."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from review.report import ReviewReport

__all__ = ["report_document", "render_json"]


def report_document(report: ReviewReport) -> dict[str, Any]:
    """The report as one JSON-ready object."""
    document = asdict(report)
    document["valid"] = report.valid
    for stack, data in zip(report.stacks, document["stacks"], strict=True):
        data["valid"] = stack.valid
        for row, row_data in zip(stack.capacity, data["capacity"], strict=True):
            row_data["over_capacity"] = row.over_capacity
    return document


def render_json(report: ReviewReport) -> str:
    """The report as indented JSON text, one object."""
    return json.dumps(report_document(report), indent=2) + "\n"
