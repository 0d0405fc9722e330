"""Versions declared only with an image: skipped with a message, or a failure when asked."""

from __future__ import annotations

import json
from pathlib import Path

from tests.local_runtime.local_run_harness import LocalRuns, score, write_stack
from tests.ports import free_port

MIXED_STACK = """
    config:
      model-endpoints:endpoints:
        - name: mixed
          auth_enabled: false
          versions:
            - name: local
              traffic_percentile: 60
              inference_config: {entry_script: models/local.py}
            - name: boxed
              traffic_percentile: 40
              image: registry.example.com/models/boxed:1
"""
SCRIPT = """
    def init():
        pass

    def run(raw_data):
        return {"served": "local"}
"""


def test_a_stack_of_image_versions_only_fails_naming_them(local_runs: LocalRuns) -> None:
    result = local_runs.up("gpu", "--port", str(free_port()))
    assert result.returncode == 1 and result.stdout == ""
    assert (
        "vision/resnet-gpu (image registry.example.com/vision/resnet50-gpu:1.4.0)" in result.stderr
    )
    assert "no version of the stack is left to run" in result.stderr
    assert not local_runs.run_dir("gpu").exists()


def test_fail_refuses_a_stack_with_an_image_version(local_runs: LocalRuns, tmp_path: Path) -> None:
    config = write_stack(tmp_path, "mixed", MIXED_STACK, {"models/local.py": SCRIPT})
    result = local_runs.up("mixed", "--config", str(config), "--on-image-version", "fail")
    assert result.returncode == 1
    assert "mixed/boxed (image registry.example.com/models/boxed:1)" in result.stderr
    assert not local_runs.run_dir("mixed").exists()


def test_skip_runs_the_rest_and_says_where_the_share_went(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    config = write_stack(tmp_path, "mixed", MIXED_STACK, {"models/local.py": SCRIPT})
    port = free_port()
    result = local_runs.up("mixed", "--config", str(config), "--port", str(port))
    assert result.returncode == 0, result.stderr
    assert (
        "skipping mixed/boxed: declared only with image registry.example.com/models/boxed:1"
        in result.stderr
    )
    assert "its 40% goes to local, the default version here" in result.stderr
    up = json.loads(result.stdout)
    assert up["traffic"] == {"local": 100.0}
    assert up["skipped_versions"] == {"boxed": "registry.example.com/models/boxed:1"}
    assert up["primary_key"] is None  # auth_enabled: false
    assert score(port).json() == {"served": "local"}
    assert score(port, {"x-model-version": "boxed"}).status == 400  # not served here
