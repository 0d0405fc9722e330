"""Entry scripts stay inside the stack's directory: refused in the spec when absolute or with
`..`, and refused where they are read when a symbolic link leads out."""

from __future__ import annotations

from pathlib import Path

import pytest

from specification.source_paths import OutsideStackDirError, check_stack_relative, resolve_in_stack_dir
from specification.stack_config import StackConfigError, validate_stack_config


def _stack_with(entry_script: str) -> dict[str, object]:
    version = {"name": "v1", "inference_config": {"entry_script": entry_script}}
    return {"model-endpoints:endpoints": [{"name": "ep", "versions": [version]}]}


@pytest.mark.parametrize(
    ("script", "rule"),
    [
        ("/etc/x.py", "'/etc/x.py' is an absolute path"),
        ("../../x.py", "'../../x.py' has a '..' segment"),
        ("models/../../x.py", "'models/../../x.py' has a '..' segment"),
    ],
)
def test_a_script_outside_the_stack_directory_fails_the_preview_naming_the_field(
    script: str, rule: str
) -> None:
    with pytest.raises(StackConfigError) as raised:
        validate_stack_config(_stack_with(script))
    assert (
        f"model-endpoints:endpoints[0].versions[0].inference_config.entry_script: {rule}"
        in str(raised.value)
    )


@pytest.mark.parametrize("script", ["score.py", "models/v1/score.py", "./models/score.py", "a..b.py"])
def test_relative_paths_inside_are_accepted(script: str) -> None:
    assert check_stack_relative(script) == script


def test_a_script_inside_resolves_there_also_through_a_link_inside(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "score.py").write_text("")
    (tmp_path / "latest.py").symlink_to(tmp_path / "models" / "score.py")
    assert resolve_in_stack_dir(tmp_path, "models/score.py") == tmp_path.resolve() / "models/score.py"
    assert resolve_in_stack_dir(tmp_path, "latest.py") == tmp_path.resolve() / "models/score.py"


def test_a_symbolic_link_out_of_the_stack_directory_is_refused(tmp_path: Path) -> None:
    stack_dir, outside = tmp_path / "stack", tmp_path / "secret.py"
    (stack_dir / "models").mkdir(parents=True)
    outside.write_text("TOKEN = 'x'\n")
    (stack_dir / "models" / "score.py").symlink_to(outside)
    (stack_dir / "linked").symlink_to(tmp_path)
    for relative in ("models/score.py", "linked/secret.py"):
        with pytest.raises(OutsideStackDirError) as raised:
            resolve_in_stack_dir(stack_dir, relative)
        assert str(raised.value) == (
            f"{relative!r} resolves to {outside.resolve()}, outside the stack's directory "
            f"{stack_dir.resolve()} (through a symbolic link): the file must be inside that directory"
        )


def test_an_absolute_or_dotdot_path_is_refused_where_it_is_read(tmp_path: Path) -> None:
    for relative in ("/etc/hostname", "../x.py"):
        with pytest.raises(OutsideStackDirError):
            resolve_in_stack_dir(tmp_path, relative)
