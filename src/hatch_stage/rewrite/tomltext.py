"""Rewriting dependency strings in pyproject.toml text, leaving every other byte alone.

tomllib reads but cannot write, and a round trip through any TOML writer would reformat the
user's file. So a small scanner finds the exact span of every string value with the key path it
belongs to, only the spans of ``[project]`` dependencies and optional-dependencies are replaced,
and the result is parsed again to prove it means exactly what was intended.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..config import tomllib
from ..errors import RewriteError
from .metadata import PinFunction

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")
#: array-of-tables elements cannot hold [project] data; this marks them in a key path
_ARRAY_ELEMENT = "[]"


@dataclass(frozen=True)
class StringSpan:
    """One string value: where it is in the text, its key path and its decoded value."""

    path: tuple[str, ...]
    start: int
    end: int
    value: str


class _Scanner:
    """Walks TOML text that tomllib already accepted, yielding every string value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip(self, newlines: bool) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end == -1 else end
            elif char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            else:
                return

    def _string_end(self) -> int:
        text, pos = self.text, self.pos
        quote = text[pos]
        delimiter = quote * 3 if text.startswith(quote * 3, pos) else quote
        index = pos + len(delimiter)
        while True:
            if quote == '"' and text[index] == "\\":
                index += 2
                continue
            if text.startswith(delimiter, index):
                end = index + len(delimiter)
                # a multi-line string may end with up to two quotes right before its delimiter
                while (
                    len(delimiter) == 3
                    and end < len(text)
                    and text[end] == quote
                    and end - index < 5
                ):
                    end += 1
                return end
            index += 1

    def _string(self) -> tuple[int, int, str]:
        start, end = self.pos, self._string_end()
        self.pos = end
        return start, end, tomllib.loads(f"v = {self.text[start:end]}")["v"]

    def _key(self) -> tuple[str, ...]:
        parts = []
        while True:
            self._skip(newlines=False)
            if self.text[self.pos] in "\"'":
                parts.append(self._string()[2])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    raise ValueError(f"unexpected {self.text[self.pos]!r} at {self.pos}")
                parts.append(match.group())
                self.pos = match.end()
            self._skip(newlines=False)
            if self.text[self.pos] != ".":
                return tuple(parts)
            self.pos += 1

    def _value(self, path: tuple[str, ...]) -> Iterator[StringSpan]:
        self._skip(newlines=False)
        char = self.text[self.pos]
        if char in "\"'":
            yield StringSpan(path, *self._string())
        elif char in "[{":
            closing = "]" if char == "[" else "}"
            self.pos += 1
            while True:
                self._skip(newlines=True)
                if self.text[self.pos] == closing:
                    self.pos += 1
                    return
                if char == "[":
                    yield from self._value(path)
                else:
                    key = self._key()
                    self.pos += 1  # "="
                    yield from self._value(path + key)
                self._skip(newlines=True)
                if self.text[self.pos] == ",":
                    self.pos += 1
        else:
            match = _SCALAR_END.search(self.text, self.pos)
            self.pos = len(self.text) if match is None else match.start()

    def strings(self) -> Iterator[StringSpan]:
        table: tuple[str, ...] = ()
        while True:
            self._skip(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.text[self.pos] == "[":
                array = self.text.startswith("[[", self.pos)
                self.pos += 2 if array else 1
                table = self._key() + ((_ARRAY_ELEMENT,) if array else ())
                self.pos += 2 if array else 1
            else:
                key = self._key()
                self.pos += 1  # "="
                yield from self._value(table + key)


def _is_dependency(path: tuple[str, ...]) -> bool:
    return path == ("project", "dependencies") or (
        len(path) == 3 and path[:2] == ("project", "optional-dependencies")
    )


def _quote(original: str, value: str) -> str:
    """``value`` as a TOML string, in the original's quoting style when it can be."""
    if original.startswith("'") and not original.startswith("'''") and "'" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def rewrite_dependencies(text: str, pin: PinFunction, where: str) -> str | None:
    """``text`` with [project] dependency strings rewritten by ``pin``; None if nothing changed."""
    try:
        document = tomllib.loads(text)
        spans = [span for span in _Scanner(text).strings() if _is_dependency(span.path)]
    except (tomllib.TOMLDecodeError, ValueError, IndexError) as error:
        raise RewriteError(f"{where} cannot be read as TOML: {error}") from None
    pieces, last = [], 0
    expected = copy.deepcopy(document)
    for span in spans:
        new = pin(span.value, where)
        if new is None or new == span.value:
            continue
        pieces += [text[last : span.start], _quote(text[span.start : span.end], new)]
        last = span.end
        project = expected["project"]
        group = (
            project["dependencies"]
            if len(span.path) == 2
            else project["optional-dependencies"][span.path[2]]
        )
        group[group.index(span.value)] = new
    if not pieces:
        return None
    result = "".join(pieces) + text[last:]
    try:
        same = tomllib.loads(result) == expected
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise RewriteError(
            f"{where}: could not edit the dependencies without changing anything else"
        )
    return result
