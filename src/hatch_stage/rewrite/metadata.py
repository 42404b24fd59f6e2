"""Rewriting ``Requires-Dist`` in core metadata (a wheel's METADATA, an sdist's PKG-INFO).

Only the header block is touched (the description after the first blank line may quote
``Requires-Dist:`` lines in its text), and only the lines that change; every other byte stays.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import RewriteError

#: (requirement as written, where it was found) -> the requirement to publish, or None to keep it
PinFunction = Callable[[str, str], "str | None"]

_FIELD = "requires-dist:"


def rewrite_requires_dist(data: bytes, pin: PinFunction, where: str) -> bytes | None:
    """``data`` with every Requires-Dist rewritten by ``pin``; None when nothing changed."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RewriteError(f"{where} is not UTF-8 text; core metadata must be") from None
    lines = text.splitlines(keepends=True)
    changed = False
    for index, line in enumerate(lines):
        if not line.strip():
            break  # end of the headers: the rest is the description
        if not line.lower().startswith(_FIELD):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if following[:1] in (" ", "\t"):
            raise RewriteError(f"{where}: a folded Requires-Dist header cannot be rewritten safely")
        body = line[len(_FIELD) :]
        value = body.strip()
        new = pin(value, where)
        if new is not None and new != value:
            start = len(line) - len(body.lstrip())
            end = len(body.rstrip()) + len(_FIELD)
            lines[index] = line[:start] + new + line[end:]
            changed = True
    return "".join(lines).encode("utf-8") if changed else None
