"""Config values reach a pull request comment as inert code: no value can end its code span or
the error block, carry a line break into a list, or put Markdown or HTML into the comment."""

from __future__ import annotations

import re

from review.field_changes import FieldChange
from review.render_markdown import MARKER, render_markdown
from review.report import EndpointReview, ReviewReport, StackReview, VersionChange


def _report(changes: tuple[FieldChange, ...], errors: tuple[str, ...] = ()) -> str:
    endpoint = EndpointReview(
        name="e", change="changed", versions_changed=(VersionChange("v1", changes),)
    )
    stack = StackReview("dev", "stacks/Pulumi.dev.yaml", errors=errors, endpoints=(endpoint,))
    return render_markdown(ReviewReport("main", (stack,)))


def test_a_value_with_backticks_and_markup_stays_one_code_span() -> None:
    hostile = "x` <img src=y> @someone | ``z"
    text = _report((FieldChange("description", "old", hostile),))
    (line,) = [line for line in text.splitlines() if "`description`" in line]
    assert line == f"  - `description`: `old` → ```{hostile}```"


def test_a_line_break_in_a_value_stays_on_its_line() -> None:
    text = _report((FieldChange("tags.note", None, "a\n## heading"),))
    assert '  - `tags.note`: unset → `"a\\n## heading"`' in text.splitlines()
    assert "## heading" not in [line.strip() for line in text.splitlines()]


def test_an_error_quoting_a_fence_cannot_close_the_error_block() -> None:
    errors = ("model-endpoints:endpoints[0].description: bad (got '```\\n# injected')", "second")
    text = _report((), errors)
    block = re.search(r"^(`{4,})\n(.*?)\n\1$", text, re.S | re.M)
    assert block is not None and block.group(2).splitlines() == list(errors)
    assert text.startswith(MARKER)
