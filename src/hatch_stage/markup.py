"""rich's console markup, written and read without importing rich.

The human report is written as rich markup (``[bold]...[/]``). On a terminal rich prints it
in colour; on a log or a hook's captured output there are no colours to print, and importing
rich for that costs a fifth of a pre-commit run. So the report is made plain here when it goes
to anything but a terminal (:mod:`hatch_stage.output`), and text from outside (names,
versions, paths, reasons) is escaped here, the same way for both.

:func:`escape` also shows control characters in outside text as ``\\x1b`` and the like, on
a terminal and in a log alike.

The grammar is rich's: a tag is ``[`` followed by a lower-case letter, ``#``, ``/`` or ``@``,
then anything up to the next ``]`` with no ``[`` in between. An odd number of backslashes
before a tag makes it text (one backslash is dropped, each remaining pair prints as one); an
even number prints as half as many backslashes before the tag. Between tags, a backslash
before a ``[`` is dropped. ``tests/test_markup.py`` holds
both functions to rich's own parser.
"""

from __future__ import annotations

import re

#: backslashes, then something rich reads as a tag
_TAG = re.compile(r"(\\*)(\[[a-z#/@][^\[]*?\])")
#: control characters but tab and newline (C0, DEL and C1): escape shows them
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: control characters rich leaves out of what it prints (bell, backspace, vertical tab, form
#: feed, carriage return): they could move the cursor over what was printed before
_LEFT_OUT = str.maketrans(dict.fromkeys((7, 8, 11, 12, 13)))


def escape(text: str) -> str:
    """``text`` as markup that prints exactly ``text``, its control characters shown as
    ``\\x1b`` and the like (tab and newline kept): text from outside (a member's name, a
    registry's message) must not drive the reviewer's terminal, clear it or overwrite a line."""
    text = _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", text)
    # each backslash before a tag doubles (so they print as themselves), then one more makes
    # the tag text; a backslash at the very end would escape whatever markup follows
    escaped = _TAG.sub(lambda found: found[1] * 2 + "\\" + found[2], text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        escaped += "\\"
    return escaped


def plain(markup: str) -> str:
    """What rich prints for ``markup``, without its styles."""
    if "[" not in markup:
        return markup.translate(_LEFT_OUT)
    parts = []
    position = 0
    for found in _TAG.finditer(markup):
        parts.append(_text(markup[position:found.start()]))
        backslashes, escaped = divmod(len(found[1]), 2)
        parts.append("\\" * backslashes + (found[2] if escaped else ""))
        position = found.end()
    parts.append(_text(markup[position:]))
    return "".join(parts).translate(_LEFT_OUT)


def _text(between_tags: str) -> str:
    # rich drops the backslash of a "\[" that starts no tag
    return between_tags.replace("\\[", "[")
