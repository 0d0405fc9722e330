"""How the texts a stack config reaches are read, to tell a harmless value from an injected one.

Each reader is conservative (it sees more separators than the real consumer), so a value that adds
a line, a word, a comment, an option or an operator changes what it returns: HAProxy's config and
map files (`config_shape`, `map_shape`), `sh -c` scripts (`shell_shape`), pip's requirements files
(`pip_logical_lines`, `pip_option_lines`: pip's own reading, checked against pip 26 with
`pip install --dry-run`), and manifests (`differences`, `matches`: where two renders differ).
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Iterator
from typing import Any

__all__ = [
    "ManifestPath",
    "config_shape",
    "differences",
    "map_shape",
    "matches",
    "pip_logical_lines",
    "pip_option_lines",
    "shell_scripts",
    "shell_shape",
]

ManifestPath = tuple[str | int, ...]

_HAPROXY_SPECIALS = "#\"'\\$%"


def config_shape(text: str) -> list[tuple[str, int, str]]:
    """Line by line (every line break Python knows, more than HAProxy's): the keyword, the number
    of words and the characters HAProxy gives a meaning to. A value that adds a line, a word, a
    comment, a quote or an expansion changes it."""
    shape = []
    for line in text.splitlines():
        words = line.split()
        specials = "".join(c for c in line if c in _HAPROXY_SPECIALS)
        shape.append((words[0] if words else "", len(words), specials))
    return shape


def map_shape(text: str) -> list[tuple[int, str]]:
    """A map file's `config_shape` without the keys (the first words are data there: names)."""
    return [(words, specials) for _, words, specials in config_shape(text)]


_SHELL_SPECIALS = "#\"'\\$`;&|<>(){}*?~!\n"


def shell_shape(script: str) -> tuple[int, tuple[str, ...], Counter[str]]:
    """A `sh -c` script's lines, its words and operators (operators kept, words as 'word'), and
    its special characters."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = tuple(t if t and set(t) <= set(lexer.punctuation_chars) else "word" for t in lexer)
    except ValueError:  # an unbalanced quote
        tokens = ("unparsable",)
    return len(script.splitlines()), tokens, Counter(c for c in script if c in _SHELL_SPECIALS)


def shell_scripts(manifests: Any, path: ManifestPath = ()) -> Iterator[tuple[ManifestPath, str]]:
    """Every `["/bin/sh", "-c", script]` command in the manifests, by path."""
    if isinstance(manifests, dict):
        for key, value in manifests.items():
            yield from shell_scripts(value, (*path, key))
    elif isinstance(manifests, list):
        if len(manifests) == 3 and manifests[:2] == ["/bin/sh", "-c"]:
            yield path, manifests[2]
        for index, value in enumerate(manifests):
            yield from shell_scripts(value, (*path, index))


_PIP_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")
_PIP_COMMENT = re.compile(r"(^|\s+)#.*$")


def pip_logical_lines(content: str) -> list[str]:
    """The lines pip makes of a requirements file with this text (pip's req_file and
    auto_decode, checked against pip 26 with `pip install --dry-run`): bytes decoded by a coding
    comment in the first two lines (else UTF-8), split by `str.splitlines`, lines ending in a
    backslash joined to the next, comments removed, blank lines dropped."""
    data = content.encode("utf-8")
    encoding = "utf-8"
    for line in data.split(b"\n")[:2]:
        declared = _PIP_CODING.search(line)
        if line[:1] == b"#" and declared:
            encoding = declared.group(1).decode("ascii")
            break
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return []  # pip stops: nothing is installed
    joined, pending = [], ""
    for line in text.splitlines():
        if line.endswith("\\") and not _PIP_COMMENT.match(line):
            pending += line.strip("\\")
            continue
        joined.append(pending + (" " + line if _PIP_COMMENT.match(line) else line))
        pending = ""
    if pending:
        joined.append(pending)
    stripped = (_PIP_COMMENT.sub("", line).strip() for line in joined)
    return [line for line in stripped if line]


def pip_option_lines(content: str) -> list[str]:
    """Lines pip reads as options (`--index-url`, `-r`, `-e` ...): those whose first word (pip
    splits on ' ') starts with '-'. Options after a requirement only set that requirement's own
    (`--hash`), so they are no directive."""
    return [line for line in pip_logical_lines(content) if line.split(" ")[0].startswith("-")]


def differences(a: Any, b: Any, path: ManifestPath = ()) -> Iterator[tuple[ManifestPath, str]]:
    """Where `b` differs from `a`: ('leaf' a different string or number, 'keys' different keys
    of a mapping, 'structure' a different type or list length)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            yield path, "keys"
        for key in a.keys() & b.keys():
            yield from differences(a[key], b[key], (*path, key))
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield path, "structure"
        else:
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                yield from differences(x, y, (*path, index))
    elif type(a) is not type(b):
        yield path, "structure"
    elif a != b:
        yield path, "leaf"


def matches(pattern: ManifestPath, path: ManifestPath) -> bool:
    """Whether `path` fits `pattern`: '*' is any one step, a trailing '**' any rest (or none)."""
    if pattern and pattern[-1] == "**":
        head = pattern[:-1]
        return len(path) >= len(head) and matches(head, path[: len(head)])
    return len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path, strict=True))
