"""Review of a change in a pull request: what it does to each endpoint's traffic, auth and capacity.

`review_stack` compares a stack's config at a base git ref with the working tree (pure);
`render_markdown` and `render_json` show the result; `git_source` reads the base (the only I/O);
`topology` draws an endpoint as a Mermaid flowchart. No Pulumi, no cluster.
"""

from __future__ import annotations

from review.render_json import render_json, report_document
from review.render_markdown import MARKER, render_markdown
from review.report import EndpointReview, ReviewReport, StackReview
from review.stack_review import review_stack
from review.topology import endpoint_flowchart, flowchart

__all__ = [
    "MARKER",
    "EndpointReview",
    "ReviewReport",
    "StackReview",
    "endpoint_flowchart",
    "flowchart",
    "render_json",
    "render_markdown",
    "report_document",
    "review_stack",
]
