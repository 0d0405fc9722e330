"""`model-endpoints review` on a real git history: a temporary repository with two commits.

The first commit holds the example dev stack; the second makes the seed's next step (versionb to
40% and the default). The review of the second against the first is read back from the command's
own output, Markdown and JSON, with the working tree as the second commit left it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cli.main import main
from offline.program import STACKS_DIR
from review.render_markdown import MARKER

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def _git(repository: Path, *arguments: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repository), *arguments],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repository), **GIT_ENV},
    )
    return done.stdout


def _write_stack(repository: Path, stack: str, document: dict[str, object]) -> None:
    (repository / "stacks" / f"Pulumi.{stack}.yaml").write_text(
        yaml.safe_dump(document, sort_keys=False), encoding="utf-8"
    )


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project repository: commit 1 the dev stack, commit 2 versionb at 40% and the default."""
    repository = tmp_path / "project"
    (repository / "stacks").mkdir(parents=True)
    shutil.copy(STACKS_DIR.parent / "Pulumi.yaml", repository / "Pulumi.yaml")
    document = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    _write_stack(repository, "dev", document)
    _git(repository, "init", "--quiet", "--initial-branch=main")
    _git(repository, "add", ".")
    _git(repository, "commit", "--quiet", "-m", "the dev stack")
    versionb = document["config"]["model-endpoints:endpoints"][0]["versions"][1]
    versionb.update(traffic_percentile=40, is_default=True)
    _write_stack(repository, "dev", document)
    _git(repository, "commit", "--quiet", "-am", "versionb takes over")
    monkeypatch.chdir(repository)
    return repository


def test_the_second_commit_is_reviewed_against_the_first(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "--base", "HEAD~1"]) == 0
    report = capsys.readouterr().out
    assert report.startswith(f"{MARKER}\n## model-endpoints review against `HEAD~1`")
    assert "### Stack `dev` (`stacks/Pulumi.dev.yaml`)" in report
    assert "| `versiona` | default, control → control | 20% | 90% → 20% |" in report
    assert "| `versionb` | treatment → default, treatment | 10% → 40% | 10% → 80% |" in report
    assert "- default version: `versiona` → `versionb`" in report
    assert "- 70% of the traffic goes to other versions" in report
    assert "  - `is_default`: `false` → `true`" in report
    assert "```mermaid\nflowchart LR\n" in report


def test_json_for_bots_and_a_stack_chosen(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--base", "main~1", "--stack", "dev", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is True and document["base_ref"] == "main~1"
    (endpoint,) = document["stacks"][0]["endpoints"]
    assert (endpoint["default_before"], endpoint["default_after"]) == ("versiona", "versionb")
    assert endpoint["planned_steps"] == [
        {"traffic": {"versiona": 20.0, "versionb": 80.0}, "percent_of_change": 100.0, "wait_seconds": 0}
    ]


def test_an_uncommitted_invalid_change_exits_1_with_the_preview_s_words(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = history / "stacks" / "Pulumi.dev.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("traffic_percentile: 40", "traffic_percentile: 90"), encoding="utf-8")
    assert main(["review", "--base", "HEAD"]) == 1
    captured = capsys.readouterr()
    assert (
        "model-endpoints:endpoints[0]: versions: traffic_percentile values sum to 110, more than 100 "
        "(versiona=20, versionb=90)" in captured.out
    )
    assert "invalid" in captured.err


def test_a_new_and_a_deleted_stack(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(STACKS_DIR / "Pulumi.gpu.yaml", history / "stacks" / "Pulumi.gpu.yaml")
    (history / "stacks" / "Pulumi.dev.yaml").unlink()
    assert main(["review", "--base", "HEAD", "--format", "json"]) == 0
    stacks = {stack["stack"]: stack for stack in json.loads(capsys.readouterr().out)["stacks"]}
    assert stacks["dev"]["base_note"] == "the stack's config file is deleted"
    assert [e["change"] for e in stacks["dev"]["endpoints"]] == ["removed"]
    assert stacks["gpu"]["base_note"] == "the stack's config is new: everything in it is added"
    assert [e["change"] for e in stacks["gpu"]["endpoints"]] == ["added"]


def test_an_unknown_base_or_stack_fails_naming_it(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--base", "no-such-branch"]) == 1
    assert "--base 'no-such-branch' is not a commit" in capsys.readouterr().err
    assert main(["review", "--base", "HEAD", "--stack", "prod"]) == 1
    assert "stack 'prod' has no config stacks/Pulumi.prod.yaml" in capsys.readouterr().err
    assert main(["review", "--base=--upload-pack=x"]) == 1
    assert "a git ref cannot start with '-'" in capsys.readouterr().err
