"""The pack's files are what `pulumi preview --policy-pack policy_pack` needs, and the pack stands
alone: it runs in its own virtualenv, so it imports nothing of this project."""

from __future__ import annotations

import ast
import json
import runpy
import sys
from typing import Any

import jsonschema
import pulumi_policy
import pytest
import yaml

from tests.policy_pack.conftest import POLICY_PACK_DIR

from endpoint_policies import POLICIES  # noqa: E402  # the pack's folder, put on the path by conftest
from policy_settings import DEFAULTS, SCHEMAS, setting  # noqa: E402
from registered_resources import stack_of  # noqa: E402

PACK_MODULES = {path.stem for path in POLICY_PACK_DIR.glob("*.py")}


def test_the_pack_declares_a_python_runtime_with_its_own_virtualenv() -> None:
    document = yaml.safe_load((POLICY_PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert document["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    requirements = (POLICY_PACK_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "pulumi-policy>=1.21,<2" in requirements


def test_the_pack_imports_only_the_sdk_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"pulumi_policy", "__future__"} | PACK_MODULES
    for path in POLICY_PACK_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_the_example_config_sets_every_policy_within_its_schema() -> None:
    example = json.loads((POLICY_PACK_DIR / "policy-config.example.json").read_text(encoding="utf-8"))
    assert set(example) == {policy.name for policy in POLICIES} == set(DEFAULTS) == set(SCHEMAS)
    for name, values in example.items():
        assert values["enforcementLevel"] in ("advisory", "mandatory", "disabled", "remediate")
        properties = {key: value for key, value in values.items() if key != "enforcementLevel"}
        schema = {"type": "object", "properties": SCHEMAS[name], "additionalProperties": False}
        jsonschema.validate(properties, schema)
        assert properties == DEFAULTS[name]  # the example spells out the defaults


def test_settings_default_when_not_given_and_stacks_are_read_from_urns() -> None:
    assert setting("guarded-traffic-shift", {}, "max_unguarded_shift_percent") == 20
    assert setting("guarded-traffic-shift", {"max_unguarded_shift_percent": 5}, "max_unguarded_shift_percent") == 5
    assert stack_of("urn:pulumi:prod-eu::model-endpoints::kubernetes:core/v1:Service::x") == "prod-eu"
    assert stack_of("not a urn") == ""


def test_the_pack_s_main_builds_one_pack_of_the_five_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """`__main__.py` run as Pulumi runs it, with the SDK's PolicyPack replaced by a recorder: a
    real one would start the analyzer's gRPC server."""
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **arguments: built.append(arguments))
    runpy.run_path(str(POLICY_PACK_DIR / "__main__.py"), run_name="__main__")
    (pack,) = built
    assert pack["name"] == "model-endpoints"
    assert pack["enforcement_level"] is pulumi_policy.EnforcementLevel.ADVISORY
    assert [policy.name for policy in pack["policies"]] == [policy.name for policy in POLICIES]
