"""The agent runs in a slim Python sidecar with nothing but its own files mounted: its modules
import the standard library and each other only, and a copy of the package alone, run without
site-packages, starts and answers."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.router_agent.agent_harness import AGENT_COMMAND, PROJECT_DIR

PACKAGE = PROJECT_DIR / "router_agent"


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: a relative import"
            roots.add((node.module or "").split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_each_module_imports_the_standard_library_and_the_package_only(module: Path) -> None:
    outside = _imported_roots(module) - set(sys.stdlib_module_names) - {"__future__", "router_agent"}
    assert outside == set(), f"router_agent/{module.name} imports {sorted(outside)}"


def test_the_package_alone_runs_without_site_packages(agent_package: Path) -> None:
    """`agent_package` is a copy of router_agent/ and nothing else (see agent_harness)."""
    assert sorted(p.name for p in agent_package.iterdir()) == ["router_agent"]
    result = subprocess.run(
        [*AGENT_COMMAND, "--help"],
        cwd=agent_package,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--routing-dir" in result.stdout
    check = subprocess.run(
        [*AGENT_COMMAND[:-2], "-c", "import json, sys, router_agent.__main__; print(json.dumps("
         "sorted(m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names)))"],
        cwd=agent_package,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    loaded = json.loads(check.stdout)  # every module loaded that is not the standard library's
    assert [name for name in loaded if not name.startswith("router_agent")] == ["__main__"]
