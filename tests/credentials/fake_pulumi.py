"""A fake `pulumi` CLI on PATH for the tests that read a deployed stack's outputs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["FakePulumi"]


class FakePulumi:
    """A `pulumi` executable (a Python script) that prints `outputs` for stack `dev` and records
    its arguments; any other stack fails as the CLI does."""

    def __init__(self, directory: Path, outputs: dict[str, Any]) -> None:
        self.bin = directory / "bin"
        self.bin.mkdir()
        self.outputs_file = directory / "outputs.json"
        self.argv_file = directory / "argv.json"
        self.set_outputs(outputs)
        script = self.bin / "pulumi"
        script.write_text(
            f"#!{sys.executable}\n"
            "import json, pathlib, sys\n"
            f"pathlib.Path({str(self.argv_file)!r}).write_text(json.dumps(sys.argv[1:]))\n"
            "args = sys.argv[1:]\n"
            "if args[args.index('--stack') + 1] != 'dev':\n"
            "    stack = args[args.index('--stack') + 1]\n"
            "    print(f'error: no stack named {stack} found', file=sys.stderr)\n"
            "    sys.exit(255)\n"
            f"sys.stdout.write(pathlib.Path({str(self.outputs_file)!r}).read_text())\n"
        )
        script.chmod(0o755)

    def set_outputs(self, outputs: dict[str, Any]) -> None:
        self.outputs_file.write_text(json.dumps(outputs))

    @property
    def argv(self) -> list[str]:
        return json.loads(self.argv_file.read_text())

    @property
    def path(self) -> str:
        """A PATH on which this fake is the `pulumi` found first."""
        return f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"
