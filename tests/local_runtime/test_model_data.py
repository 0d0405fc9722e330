"""A version with collect_model_data runs behind the collection wrapper (scoring/collect.py), which
appends one JSON line per scored request to `<run dir>/model-data/<version>.jsonl`; the user's
script answers unchanged."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.local_runtime.local_run_harness import LocalRuns, bearer, score, write_stack
from tests.ports import free_port

COLLECTING_STACK = """
    config:
      model-endpoints:endpoints:
        - name: audited
          versions:
            - name: recorded
              collect_model_data: true
              inference_config: {entry_script: models/score.py}
"""
SCRIPT = """
    import json

    def init():
        pass

    def run(raw_data):
        return {"rows": len(json.loads(raw_data)["data"])}
"""


def test_scored_requests_are_recorded_in_the_run_directory(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    config = write_stack(tmp_path, "audited", COLLECTING_STACK, {"models/score.py": SCRIPT})
    port = free_port()
    up = local_runs.up_ok("audited", "--config", str(config), "--port", str(port))
    for _ in range(2):
        response = score(port, bearer(up["primary_key"]))
        assert response.status == 200 and response.json() == {"rows": 1}

    data_file = local_runs.run_dir("audited") / "model-data" / "recorded.jsonl"
    lines = [json.loads(line) for line in data_file.read_text().splitlines()]
    assert len(lines) == 2
    assert all(line["version"] == "recorded" for line in lines)
    assert lines[0]["request"] == {"data": [[1.0, 2.0, 3.0]]}
    assert lines[0]["response"] == {"rows": 1}
    assert stat.S_IMODE(data_file.stat().st_mode) == 0o600
