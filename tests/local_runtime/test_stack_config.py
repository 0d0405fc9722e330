"""Reading a stack file for a local run: the spec's own rules, one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_runtime.errors import LocalRunError
from local_runtime.stack_config import load_stack

PROJECT = Path(__file__).resolve().parents[2]


def test_the_dev_stack_loads_with_its_directory_as_source() -> None:
    stack = load_stack("dev", PROJECT / "stacks" / "Pulumi.dev.yaml")
    assert stack.source_dir == PROJECT / "stacks"
    assert [e.name for e in stack.spec.endpoints] == ["mynewendpoint"]


def test_an_invalid_config_names_each_field(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.bad.yaml"
    config.write_text(
        "config:\n"
        "  model-endpoints:endpoints:\n"
        "    - name: ep\n"
        "      versions:\n"
        "        - {name: a, traffic_percentile: 80, image: m:1}\n"
        "        - {name: b, traffic_percentile: 30, image: m:1, cpu_core: 1}\n"
    )
    with pytest.raises(LocalRunError) as caught:
        load_stack("bad", config)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"invalid stack config {config}:"
    assert (
        "model-endpoints:endpoints[0].versions[1].cpu_core: Extra inputs are not permitted"
        in lines[1]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("config: {}\n", "has no model-endpoints:endpoints"),
        ("just: [text\n", "is not valid YAML"),
        ("- a list\n", "has no `config:` map"),
    ],
)
def test_files_that_are_no_stack_config(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "Pulumi.x.yaml"
    config.write_text(text)
    with pytest.raises(LocalRunError, match=message):
        load_stack("x", config)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LocalRunError, match="cannot read stack config"):
        load_stack("x", tmp_path / "nope.yaml")
