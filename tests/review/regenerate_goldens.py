"""Write the golden review reports: `.venv/bin/python -m tests.review.regenerate_goldens`.

Run it after an intended change of the report, then read `git diff tests/fixtures/review/`."""

from __future__ import annotations

from review.render_json import render_json
from review.render_markdown import render_markdown
from tests.review.review_cases import CASES, GOLDEN_DIR, case_report


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        report = case_report(case)
        (GOLDEN_DIR / f"{case.name}.md").write_text(render_markdown(report), encoding="utf-8")
        (GOLDEN_DIR / f"{case.name}.json").write_text(render_json(report), encoding="utf-8")
        print(f"wrote {case.name}.md and {case.name}.json")


if __name__ == "__main__":
    main()
