"""The base is read from git without checking anything out; a bad ref is refused before use."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from review.git_source import ReviewSourceError, StackFiles, config_text_at, repository_root, stacks_at


def _git(repository: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.old.yaml").write_text("config: {}\n", encoding="utf-8")
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "--quiet", "-m", "old")
    (tmp_path / "stacks" / "Pulumi.old.yaml").unlink()
    (tmp_path / "stacks" / "Pulumi.new.yaml").write_text("config: {a: 1}\n", encoding="utf-8")
    (tmp_path / "stacks" / "notes.yaml").write_text("not a stack\n", encoding="utf-8")
    return tmp_path


def test_stacks_here_or_at_the_ref_and_their_texts(repository: Path) -> None:
    files = StackFiles(repository_root(repository / "stacks"), "stacks/")
    assert stacks_at(files, "HEAD") == ["new", "old"]
    assert config_text_at(repository, "HEAD", files.path("old")) == "config: {}\n"
    assert config_text_at(repository, "HEAD", files.path("new")) is None
    assert files.working_text("new") == "config: {a: 1}\n" and files.working_text("old") is None
    assert (repository / "stacks" / "Pulumi.old.yaml").exists() is False  # nothing checked out


def test_a_config_dir_at_the_top_level(repository: Path) -> None:
    assert StackFiles(repository, ".").path("dev") == "Pulumi.dev.yaml"


def test_refs_that_are_not_commits_or_look_like_options_are_refused(repository: Path, tmp_path: Path) -> None:
    with pytest.raises(ReviewSourceError, match="is not a commit of this repository"):
        config_text_at(repository, "nope", "stacks/Pulumi.old.yaml")
    with pytest.raises(ReviewSourceError, match="cannot start with '-'"):
        stacks_at(StackFiles(repository, "stacks"), "--output=/tmp/x")
    outside = tmp_path.parent / "not-a-repository"
    outside.mkdir(exist_ok=True)
    with pytest.raises(ReviewSourceError, match="not in a git repository"):
        repository_root(outside)
