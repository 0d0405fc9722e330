"""Every command answers `--help`; bad usage exits 2 with argparse's message."""

from __future__ import annotations

import pytest

from cli.main import main

COMMANDS = [
    [],
    ["local"],
    ["local", "up"],
    ["local", "apply"],
    ["local", "status"],
    ["local", "down"],
    ["keys"],
    ["get-token"],
    ["describe"],
    ["review"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "model-endpoints")
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(
        f"usage: model-endpoints {' '.join(command)}".rstrip()
    )


@pytest.mark.parametrize("action", ["up", "apply"])
def test_up_and_apply_need_a_stack(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["local", action])
    assert exited.value.code == 2
    assert "--stack" in capsys.readouterr().err


def test_on_image_version_takes_skip_or_fail(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["local", "up", "--stack", "dev", "--on-image-version", "ignore"])
    assert "choose from 'skip', 'fail'" in capsys.readouterr().err
