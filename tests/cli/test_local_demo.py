"""`python -m cli.local_demo` (`make demo`) runs the dev stack for real, shows the split, a 401 and
a pinned request, and stops everything it started."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from local_runtime.process_control import marked_pids
from tests.local_runtime.local_run_harness import CLI_TIMEOUT_SECONDS, PROJECT_DIR


def test_the_demo_runs_to_the_end_and_leaves_nothing(haproxy_installed: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.local_demo", "--requests", "300"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
        timeout=CLI_TIMEOUT_SECONDS,
        env={**os.environ, "COLUMNS": "120"},
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    rows = {
        m.group(1): (int(m.group(2)), int(m.group(3)))
        for m in re.finditer(r"│ (versiona|versionb)\b.*?│\s+\S+ │\s+(\d+) │\s+(\d+) │", out)
    }
    assert rows.keys() == {"versiona", "versionb"}, out
    assert rows["versiona"][0] == 90 and rows["versionb"][0] == 10  # effective share shown
    assert rows["versiona"][1] + rows["versionb"][1] == 300  # every request served
    assert 0 < rows["versionb"][1] < rows["versiona"][1]
    # each version scores the sample with its own model (the trained classifier's two versions)
    scores = dict(re.findall(r"^  (versiona|versionb): \[([0-9.]+)\]$", out, re.M))
    assert scores.keys() == {"versiona", "versionb"}, out
    assert all(0 < float(s) < 1 for s in scores.values()) and scores["versiona"] != scores["versionb"]
    assert "without a key: HTTP 401" in out
    assert "pinned with x-model-version: versionb: HTTP 200, served by versionb" in out
    run_dir = re.search(r"removed (/\S+)", out)
    assert run_dir is not None and "stopped everything" in out
    assert marked_pids(run_dir.group(1) + "/dev") == set()
