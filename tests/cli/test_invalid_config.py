"""A stack config that cannot be read or is invalid: one clean message, exit 1, nothing started."""

from __future__ import annotations

from pathlib import Path

from tests.local_runtime.local_run_harness import LocalRuns, write_stack

BAD_STACK = """
    config:
      model-endpoints:endpoints:
        - name: ep
          versions:
            - {name: a, traffic_percentile: 80, inference_config: {entry_script: a.py}}
            - {name: b, traffic_percentile: 30, inference_config: {entry_script: a.py}, cpu_core: 1}
"""


def test_an_invalid_config_is_reported_line_by_line(local_runs: LocalRuns, tmp_path: Path) -> None:
    config = write_stack(tmp_path, "bad", BAD_STACK, {"a.py": "def run(data):\n    return data\n"})
    result = local_runs.up("bad", "--config", str(config))
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: invalid stack config {config}:"
    assert lines[1:] == [
        "model-endpoints:endpoints[0].versions[1].cpu_core: Extra inputs are not permitted (got 1)"
    ]
    assert not local_runs.run_dir("bad").exists()


def test_a_missing_config_file_is_one_line(local_runs: LocalRuns, tmp_path: Path) -> None:
    missing = tmp_path / "Pulumi.gone.yaml"
    result = local_runs.up("gone", "--config", str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: cannot read stack config {missing}: No such file or directory"
    )
