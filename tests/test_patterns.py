"""A pattern compiled on first use answers as the compiled pattern does."""

from __future__ import annotations

import re

from hatch_stage.patterns import lazy


def test_a_lazy_pattern_answers_as_the_compiled_one() -> None:
    source, flags = r"(?P<word>to+k)en", re.IGNORECASE
    pattern, compiled = lazy(source, flags), re.compile(source, flags)
    assert "search" not in vars(pattern)  # nothing compiled until it is used
    for text in ("a TOOKEN b", "token", "nothing", ""):
        assert bool(pattern.search(text)) == bool(compiled.search(text))
        assert bool(pattern.match(text)) == bool(compiled.match(text))
        assert bool(pattern.fullmatch(text)) == bool(compiled.fullmatch(text))
        assert [m.span() for m in pattern.finditer(text)] == [
            m.span() for m in compiled.finditer(text)]
        assert pattern.sub("x", text) == compiled.sub("x", text)
    assert "search" in vars(pattern)
    assert (pattern.pattern, pattern.flags, pattern.groupindex) == (
        compiled.pattern, compiled.flags, compiled.groupindex)


def test_bytes_patterns_too() -> None:
    pattern = lazy(rb"^kind:\s*Config\s*$", re.MULTILINE)
    assert pattern.search(b"apiVersion: v1\nkind: Config\n")
    assert not pattern.search(b"kind: Secret\n")
