"""Reading and validating a stack's config: one loader for `pulumi up`, local mode and the mocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from specification.stack_config import (
    ENDPOINTS_KEY,
    NODE_POOLS_KEY,
    PROJECT_NAME,
    StackConfigError,
    load_stack,
    read_stack_config,
    stack_config_file,
    validate_stack_config,
)

PROJECT = Path(__file__).resolve().parents[2]


def test_the_project_name_is_the_name_in_pulumi_yaml() -> None:
    document = yaml.safe_load((PROJECT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert PROJECT_NAME == document["name"]
    assert ENDPOINTS_KEY == f"{document['name']}:endpoints"
    assert NODE_POOLS_KEY == f"{document['name']}:nodePools"


def test_the_example_stacks_are_where_pulumi_yaml_says() -> None:
    document = yaml.safe_load((PROJECT / "Pulumi.yaml").read_text(encoding="utf-8"))
    path = stack_config_file(PROJECT / document["stackConfigDir"], "dev")
    assert path == PROJECT / "stacks" / "Pulumi.dev.yaml" and path.is_file()


def test_the_dev_stack_loads_with_its_directory_as_source() -> None:
    stack = load_stack("dev", PROJECT / "stacks" / "Pulumi.dev.yaml")
    assert stack.name == "dev"
    assert stack.source_dir == PROJECT / "stacks"
    assert stack.config_file == PROJECT / "stacks" / "Pulumi.dev.yaml"
    assert [e.name for e in stack.spec.endpoints] == ["mynewendpoint"]


def test_reading_keeps_the_raw_config_map() -> None:
    config = read_stack_config(PROJECT / "stacks" / "Pulumi.gpu.yaml")
    assert set(config) >= {ENDPOINTS_KEY, NODE_POOLS_KEY}
    assert [pool["name"] for pool in config[NODE_POOLS_KEY]] == ["gpu-t4", "fpga-u250"]  # type: ignore[attr-defined]


def test_an_invalid_config_names_each_field_after_a_heading(tmp_path: Path) -> None:
    config = tmp_path / "Pulumi.bad.yaml"
    config.write_text(
        "config:\n"
        "  model-endpoints:endpoints:\n"
        "    - name: ep\n"
        "      versions:\n"
        "        - {name: a, traffic_percentile: 80, image: m:1}\n"
        "        - {name: b, traffic_percentile: 30, image: m:1, cpu_core: 1}\n"
    )
    with pytest.raises(StackConfigError) as caught:
        load_stack("bad", config)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"invalid stack config {config}:"
    assert lines[1:] == caught.value.problems.splitlines()
    assert lines[1] == (
        "model-endpoints:endpoints[0].versions[1].cpu_core: Extra inputs are not permitted (got 1)"
    )


def test_every_problem_is_one_line_with_its_config_path() -> None:
    config = {
        ENDPOINTS_KEY: [
            {
                "name": "ep",
                "versions": [
                    {"name": "a", "image": "m:1", "traffic_percentile": 20},
                    {"name": "b", "image": "m:1", "traffic_percentile": 90},
                ],
            },
            {"name": "other", "versions": [{"name": "a", "image": "m:1", "gpu_cores": "two"}]},
        ],
    }
    with pytest.raises(StackConfigError) as caught:
        validate_stack_config(config)
    heading, *problems = str(caught.value).splitlines()
    assert heading == "invalid stack config:"
    assert problems == [
        f"{ENDPOINTS_KEY}[0]: versions: traffic_percentile values sum to 110, more than 100 "
        "(a=20, b=90)",
        f"{ENDPOINTS_KEY}[1].versions[0].gpu_cores: Input should be a valid integer, unable to "
        "parse string as an integer (got 'two')",
    ]


def test_node_pools_are_optional_and_other_namespaces_are_not_ours() -> None:
    config = {
        ENDPOINTS_KEY: [{"name": "ep", "versions": [{"name": "a", "image": "m:1"}]}],
        NODE_POOLS_KEY: None,
        "kubernetes:context": "kind-dev",
    }
    spec = validate_stack_config(config)
    assert [e.name for e in spec.endpoints] == ["ep"] and spec.node_pools == []


def test_a_config_without_endpoints_says_so(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError) as caught:
        validate_stack_config({NODE_POOLS_KEY: []}, tmp_path / "Pulumi.x.yaml")
    assert str(caught.value).splitlines() == [
        f"invalid stack config {tmp_path / 'Pulumi.x.yaml'}:",
        "model-endpoints:endpoints: Field required (the config has no endpoints: nothing to run)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just: [text\n", "is not valid YAML"),
        ("- a list\n", "has no `config:` map"),
        ("config: [a, b]\n", "has no `config:` map"),
    ],
)
def test_files_that_are_no_stack_config(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "Pulumi.x.yaml"
    config.write_text(text)
    with pytest.raises(StackConfigError, match="^" + re.escape(f"stack config {config} {message}")):
        read_stack_config(config)


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(StackConfigError) as caught:
        load_stack("x", missing)
    assert str(caught.value) == f"cannot read stack config {missing}: No such file or directory"
    assert caught.value.problems == ""


def test_the_error_is_a_value_error() -> None:
    assert issubclass(StackConfigError, ValueError)
