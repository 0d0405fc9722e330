"""The review reports of typical changes, checked byte for byte against the goldens in
`tests/fixtures/review/` (regenerate: `.venv/bin/python -m tests.review.regenerate_goldens`)."""

from __future__ import annotations

import json

import pytest

from review.render_json import render_json
from review.render_markdown import MARKER, render_markdown
from tests.review.review_cases import CASES, GOLDEN_DIR, ReviewCase, case_report

REGENERATE = "regenerate with: .venv/bin/python -m tests.review.regenerate_goldens"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_markdown_report_matches_its_golden(case: ReviewCase) -> None:
    golden = (GOLDEN_DIR / f"{case.name}.md").read_text(encoding="utf-8")
    assert render_markdown(case_report(case)) == golden, REGENERATE


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_json_report_matches_its_golden(case: ReviewCase) -> None:
    golden = (GOLDEN_DIR / f"{case.name}.json").read_text(encoding="utf-8")
    assert render_json(case_report(case)) == golden, REGENERATE


def _case(name: str) -> ReviewCase:
    return next(case for case in CASES if case.name == name)


def test_every_golden_has_a_case() -> None:
    names = {path.stem for path in GOLDEN_DIR.iterdir() if path.suffix in (".md", ".json")}
    assert names == {case.name for case in CASES}


def test_the_goldens_say_what_each_change_does() -> None:
    """Not only unchanged: each golden carries the fact its change is about."""
    text = {case.name: render_markdown(case_report(case)) for case in CASES}
    assert all(report.startswith(MARKER) for report in text.values())
    assert "| `resnet-fpga` | treatment | 30% → 60% | 30% → 60% |" in text["traffic-shift"]
    assert "| 1 | 10% | 67% | 33% | 300 s |" in text["traffic-shift"]
    assert "- added: `versionc`" in text["new-version"]
    assert "- removed: `versionb`" in text["removed-version"]
    assert "- primary API key rotated" in text["key-rotation"]
    assert "**over capacity by 8**" in text["gpu-pool-over-capacity"]
    assert "TLS removed" in text["tls-removed"]
    assert "new config **invalid**" in text["invalid-config"]


def test_an_invalid_config_lists_every_problem_as_the_preview_does() -> None:
    report = case_report(_case("invalid-config"))
    (stack,) = report.stacks
    assert not report.valid and stack.endpoints == ()
    assert [line.split(":")[1] for line in stack.errors] == [
        "endpoints[0].versions[0].autoscale_target_utilization",
        "endpoints[0].versions[1].cpu_cores",
        "nodePools[0].sku",
    ]
    assert json.loads(render_json(report))["valid"] is False


def test_a_rotation_is_said_without_a_key() -> None:
    text = render_json(case_report(_case("key-rotation")))
    assert "rotated" in text
    assert "primary_key\"" not in text and "secondary_key\"" not in text


def test_the_readme_excerpt_is_the_traffic_shift_golden() -> None:
    readme = (GOLDEN_DIR.parents[2] / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split("```markdown\n", 1)[1].split("```", 1)[0]
    golden = (GOLDEN_DIR / "traffic-shift.md").read_text(encoding="utf-8")
    assert excerpt.strip() and excerpt in golden
