"""The GitHub workflows in `.github/workflows/` pass a workflow linter, and do what the README says.

No `actionlint` can be installed here from a package (Debian has none; the PyPI wrapper of
rhysd's actionlint downloads the binary when it is built, which cannot work offline), so the
lint is what actionlint itself is made of that packages do give: the workflow schema
(`check-jsonschema`'s vendored copy of SchemaStore's `github-workflow` schema, strict) and
`shellcheck` (Debian's) over every `run:` step, with `${{ }}` expressions replaced as actionlint
replaces them. Then the facts a reader of the README relies on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from review.render_markdown import MARKER

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return document


def _steps(document: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, spec in document["jobs"].items() for step in spec.get("steps", [])]


def test_there_are_the_two_workflows() -> None:
    assert [path.name for path in FILES] == ["deploy.yml", "pull-request.yml"]


def test_the_workflows_match_the_github_workflow_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_run_step_passes_shellcheck(path: Path, tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "shellcheck is missing: make setup installs it (Debian's package)"
    for job, step in _steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
        if "run" not in step:
            continue
        # as actionlint does: an expression becomes a placeholder word of the same shell meaning
        script = _EXPRESSION.sub("placeholder", step["run"])
        file = tmp_path / "step.sh"
        file.write_text(f"#!/usr/bin/env bash\nset -e\n{script}", encoding="utf-8")
        done = subprocess.run([shellcheck, "--shell=bash", str(file)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{path.name} job {job} step {step.get('name')!r}:\n{done.stdout}"


def test_no_expression_is_expanded_inside_a_shell_script() -> None:
    """Untrusted input (a branch name, a title) reaches scripts through env, never pasted in."""
    for path in FILES:
        for job, step in _steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
            assert not _EXPRESSION.search(step.get("run", "")), f"{path.name} {job} {step.get('name')}"


def test_pull_requests_run_the_tests_then_one_sticky_review_comment() -> None:
    workflow = _load("pull-request.yml")
    jobs = workflow["jobs"]
    assert [step.get("run") for step in jobs["test"]["steps"]][-1] == "make test"
    review = jobs["review"]
    assert review["needs"] == "test" and review["permissions"]["pull-requests"] == "write"
    assert review["steps"][0]["with"]["fetch-depth"] == 0
    scripts = "\n".join(step.get("run", "") for step in review["steps"])
    assert 'model-endpoints review --base "origin/${BASE_REF}"' in scripts
    assert f"marker='{MARKER}'" in scripts and "--method PATCH" in scripts
    assert "exit 1" in scripts  # an invalid config fails the check, after the comment is posted


def test_the_preview_runs_with_the_policy_pack_or_says_why_it_was_skipped() -> None:
    preview = _load("pull-request.yml")["jobs"]["preview"]
    steps = preview["steps"]
    assert steps[0]["id"] == "credentials" and "::notice title=preview skipped::" in steps[0]["run"]
    assert all(step.get("if") == "${{ steps.credentials.outputs.ready == 'true' }}" for step in steps[1:])
    assert "pulumi preview --diff" in steps[-1]["run"] and "--policy-pack policy_pack" in steps[-1]["run"]
    assert set(preview["env"]) >= {"PULUMI_ACCESS_TOKEN", "KUBECONFIG_DATA", "PULUMI_CONFIG_PASSPHRASE"}


def test_main_deploys_listed_stacks_one_at_a_time_behind_their_environment() -> None:
    workflow = _load("deploy.yml")
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as True
    up = workflow["jobs"]["up"]
    assert up["environment"] == "${{ matrix.stack }}"
    assert up["strategy"]["max-parallel"] == 1 and up["concurrency"]["cancel-in-progress"] is False
    assert up["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.list) }}"
    assert "pulumi up --yes" in up["steps"][-1]["run"]
    assert "DEPLOY_STACKS" in workflow["jobs"]["stacks"]["steps"][0]["env"]
