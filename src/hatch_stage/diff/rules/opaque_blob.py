"""Review rule ``opaque-blob``: a large opaque blob in a text member.

Long base64 or hex runs and minified (or machine-obfuscated) code are where payloads hide in
plain sight: the diff shows them, but nobody can read them. A member is flagged for a run of
at least 2 KiB of base64 or hex characters, or for a line of code over 5,000 characters;
a changed member only when its earlier content had no such blob of the same kind (an updated
``jquery.min.js`` is not news).
"""

from __future__ import annotations

import re

from ..model import ChangedMember, Flag

RULE = "opaque-blob"
MIN_RUN = 2048
LONG_LINE = 5000
CODE_SUFFIXES = (".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".sh", ".ps1")
_BASE64 = re.compile(rb"[A-Za-z0-9+/_-]{%d,}={0,2}" % MIN_RUN)
_HEX = re.compile(rb"(?:[0-9a-fA-F]{2}|\\x[0-9a-fA-F]{2}){%d,}" % (MIN_RUN // 2))
_LONG_LINE = re.compile(rb"[^\n]{%d,}" % LONG_LINE)


def _size(length: int) -> str:
    return f"{length / 1024:.1f} KiB"


def review_member(member: ChangedMember) -> list[Flag]:
    data = member.data
    if data is None or member.text is None:
        return []
    flags = []
    hexed = _HEX.search(data)
    if hexed:
        flags.append(Flag(RULE, "a long hex literal: opaque data that may hide a payload",
                          detail=_size(len(hexed.group())),
                          line=data.count(b"\n", 0, hexed.start()) + 1))
    encoded = _BASE64.search(data)
    if encoded and not (hexed and hexed.start() <= encoded.start() < hexed.end()):
        flags.append(Flag(RULE, "a long base64 literal: opaque data that may hide a payload",
                          detail=_size(len(encoded.group())),
                          line=data.count(b"\n", 0, encoded.start()) + 1))
    if member.path.endswith(CODE_SUFFIXES):
        long_line = _LONG_LINE.search(data)
        if long_line and not flags:
            flags.append(Flag(RULE, "minified or obfuscated code: a line too long to review",
                              detail=f"a {len(long_line.group())}-character line",
                              line=data.count(b"\n", 0, long_line.start()) + 1))
    return flags
