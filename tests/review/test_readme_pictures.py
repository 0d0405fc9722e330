"""The README's pictures of the example stacks are generated and kept in step with the configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.readme_pictures import END, EXAMPLE_STACKS, START, render_pictures, replace_pictures
from tests.review.test_topology import parse_flowchart

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_pictures_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert replace_pictures(text) == text, "run: python -m review.readme_pictures README.md"


def test_each_example_stack_has_a_picture_that_parses() -> None:
    pictures = render_pictures().split("```mermaid\n")[1:]
    assert len(pictures) == len(EXAMPLE_STACKS)
    for picture in pictures:
        graph = parse_flowchart(picture[: picture.index("```")])
        assert any(node.startswith("router_") for node in graph.nodes)


def test_replace_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_pictures("no markers here")
    assert replace_pictures(f"a\n{START}\nold\n{END}\nb").startswith(f"a\n{START}\n`stacks/Pulumi.dev.yaml`:")
