"""The Prometheus text exposition format (version 0.0.4), parsed with the standard library.

Enough for a router's own `/metrics`: comment lines (`# HELP`, `# TYPE`) are skipped, a sample is
`name{label="value",...} value [timestamp]`, label values may hold escaped `\\`, `\"` and `\n`,
and values may be `NaN`, `+Inf` or `-Inf`. A line that is none of these raises `ValueError`
naming it, so a broken scrape is an error, never a silent zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Sample", "parse_exposition"]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$")
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


@dataclass(frozen=True)
class Sample:
    """One sample: the metric name, its labels and its value."""

    name: str
    labels: Mapping[str, str]
    value: float


def _unescape(value: str) -> str:
    return re.sub(r"\\.", lambda m: _ESCAPES.get(m.group(0), m.group(0)), value)


def _labels(text: str, line: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None:
            raise ValueError(f"malformed labels in exposition line {line!r}")
        labels[match.group(1)] = _unescape(match.group(2))
        position = match.end()
    return labels


def _value(text: str, line: str) -> float:
    try:
        value = float(text)  # also "NaN", "+Inf", "-Inf"
    except ValueError:
        raise ValueError(f"malformed value {text!r} in exposition line {line!r}") from None
    return math.nan if math.isnan(value) else value


def _samples(text: str) -> Iterator[Sample]:
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise ValueError(f"malformed exposition line {line!r}")
        name, labels, value, _ = match.groups()
        yield Sample(name, _labels(labels or "", line), _value(value, line))


def parse_exposition(text: str) -> list[Sample]:
    """Every sample of a Prometheus text exposition, in order."""
    return list(_samples(text))
