"""The stack program: endpoints and node pools from `stacks/Pulumi.<stack>.yaml`."""

from pathlib import Path

from components.stack_program import run_program

run_program(source_dir=Path(__file__).resolve().parent)
