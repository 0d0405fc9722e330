"""`make preview` prints the previewed topology and the traffic split of both example stacks."""

from __future__ import annotations

import pytest

from offline.mocked_preview import main


def test_the_preview_prints_both_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "pulumi preview --stack dev" in out and "pulumi preview --stack gpu" in out
    assert "DaemonSet fpga-u250-device-plugin" in out
    lines = [line for line in out.splitlines() if "versiona" in line and "control" in line]
    assert lines and lines[0].rstrip(" │").endswith("90"), lines
    assert "29 resources would be created." in out  # the dev stack


def test_an_unknown_stack_is_one_message_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nosuch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cannot read stack config ") and "Pulumi.nosuch.yaml" in err
    assert "Traceback" not in err
