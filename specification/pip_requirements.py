"""One pip requirement per entry: parsed with `packaging`, no options, no line breaks of any kind.

A version's requirements reach pip twice: as lines of the `requirements.txt` a cluster pod's init
container installs with `pip install -r`, and as arguments of `pip install` in local mode. pip's
requirements-file reader splits lines on every line break Python knows (`str.splitlines`: `\\r`,
`\\v`, `\\f`, `\\x1c`-`\\x1e`, `\\x85`, `\\u2028`, `\\u2029` as well as `\\n`), reads a word starting
with `-` as an option (`--index-url`, `-r`, ...) and expands `${VAR}` from its environment. So an
entry must be exactly what `packaging.requirements.Requirement` accepts (a name with extras,
version specifiers, an environment marker, or `name @ URL`) and none of those.
"""

from __future__ import annotations

from typing import Annotated

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import AfterValidator

__all__ = ["LINE_BREAKS", "PipRequirement", "check_pip_requirement"]

# Every character str.splitlines() (and so pip's requirements-file reader) breaks a line at.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_EXAMPLE = "e.g. 'numpy>=1.26', 'requests[socks]==2.32.3' or 'mypkg @ https://host/mypkg-1.0.whl'"


def check_pip_requirement(value: str) -> str:
    """Return `value` if it is one pip requirement and nothing else, else raise ValueError."""
    if not value.strip():
        raise ValueError(f"{value!r} is empty: give one pip requirement, {_EXAMPLE}")
    breaks = sorted({char for char in value if char in LINE_BREAKS})
    if breaks:
        shown = ", ".join(repr(char) for char in breaks)
        raise ValueError(
            f"{value!r} contains a line break ({shown}), which pip reads as the start of another "
            "line: give one requirement per entry, without line breaks"
        )
    options = [word for word in value.split() if word.startswith("-")]
    if options:
        raise ValueError(
            f"{value!r} contains {options[0]!r}, which pip reads as an option: only "
            "requirements are allowed (configure indexes in base_image's pip configuration)"
        )
    if "${" in value:
        raise ValueError(
            f"{value!r} contains '${{', which pip replaces with an environment variable of the "
            "installing process: write the value itself"
        )
    try:
        Requirement(value)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        raise ValueError(
            f"{value!r} is not one pip requirement ({reason}): give a name with optional extras, "
            f"version specifiers and environment marker, or 'name @ URL', {_EXAMPLE}"
        ) from None
    return value


# A `requirements` entry: the field path and index name where it fails (`requirements[2]`).
PipRequirement = Annotated[str, AfterValidator(check_pip_requirement)]
