"""Human output without rich where there is no terminal: the same text rich would print.

``hatch_stage.markup`` escapes and reads rich's markup without importing rich; these tests
hold it to rich's own ``escape`` and parser on generated text, hold the plain table to rich's
borderless one, and run ``check`` on a pseudo-terminal (through rich) and into a pipe (plain):
the words on the screen are the same.
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clitools import read_terminal
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape as rich_escape
from rich.markup import render

from hatch_stage import markup
from hatch_stage.output import Table

BOUNDED = settings(max_examples=300, deadline=None, database=None)
#: text full of what markup is made of
TRICKY = st.text(alphabet=st.sampled_from(list("ab/#@[]\\ :=x")), max_size=24) | st.text(
    max_size=24)
SAMPLE = Path(__file__).parent / "fixtures" / "projects" / "sample"
HATCH_STAGE = str(Path(sys.executable).with_name("hatch-stage"))


#: text without control characters but tab and newline (escape shows the others)
PRINTABLE = st.text(alphabet=st.sampled_from(list("ab/#@[]\\ :=x\t\n")), max_size=24) | st.text(
    alphabet=st.characters(blacklist_categories=("Cc",)), max_size=24)


@BOUNDED
@given(text=PRINTABLE)
def test_escape_is_richs(text: str) -> None:
    assert markup.escape(text) == rich_escape(text)


@BOUNDED
@given(text=st.text(max_size=24))
def test_outside_text_cannot_drive_the_terminal(text: str) -> None:
    """A member called ``\\x1b[2J...`` (clear the screen) or holding a carriage return
    (overwrite the line) prints as visible escapes, through rich and in plain text."""
    for shown in (markup.plain(markup.escape(text)), render(markup.escape(text)).plain):
        assert not any((ord(c) < 32 and c not in "\t\n") or 127 <= ord(c) <= 159 for c in shown)
    assert markup.plain(markup.escape("a\x1b[2Jb\rc\x85")) == "a\\x1b[2Jb\\x0dc\\x85"


@BOUNDED
@given(text=TRICKY)
def test_plain_is_what_rich_prints(text: str) -> None:
    try:
        expected = render(text, emoji=False).plain  # our consoles print names as they are
    except MarkupError:  # a closing tag with nothing open: rich refuses, we never write one
        return
    assert markup.plain(text) == expected


@BOUNDED
@given(pieces=st.lists(st.tuples(st.sampled_from(["", "bold", "dim", "green", "bold red"]),
                                 TRICKY), max_size=6))
def test_styled_text_reads_as_the_text_that_was_escaped(
        pieces: list[tuple[str, str]]) -> None:
    """The report's own shape: user text escaped inside the report's tags."""
    written = "".join(f"[{style}]{markup.escape(text)}[/]" if style else markup.escape(text)
                      for style, text in pieces)
    assert markup.plain(written) == render(written, emoji=False).plain


def _rich_lines(table: Table) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=200, soft_wrap=True, highlight=False, emoji=False,
            color_system=None).print(table.rich())
    return [line.rstrip() for line in out.getvalue().splitlines()]


def test_a_plain_table_has_richs_columns() -> None:
    table = Table("", "check", "points", "why")
    table.add_row("[green]✓[/]", "readme", "15/15", "README ships (text/markdown, 4 sections)")
    table.add_row("[yellow]✗[/]", "requires-python", "0/10", markup.escape("no [python] pin"))
    table.add_row("[green]✓[/]", "tests")  # a short row: the rest is empty
    assert table.plain().splitlines() == _rich_lines(table)
    with pytest.raises(ValueError, match="5 cells for 4 columns"):
        table.add_row("a", "b", "c", "d", "e")


def _on_terminal(args: list[str], cwd: Path) -> str:
    """What ``hatch-stage ARGS`` shows on a pseudo-terminal, colours taken out."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the pseudo-terminal is its stdin, stdout and stderr
        os.chdir(cwd)
        os.execve(HATCH_STAGE, [HATCH_STAGE, *args],
                  {**os.environ, "COLUMNS": "200", "HATCH_STAGE_SCAN_CACHE": "0"})
    try:
        screen = read_terminal(terminal, time.monotonic() + 60)
    finally:
        os.waitpid(pid, 0)
        os.close(terminal)
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen.decode()).replace("\r\n", "\n")


def _words(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def test_check_says_the_same_on_a_terminal_and_in_a_log(tmp_path: Path) -> None:
    """On a terminal the report goes through rich; into a pipe (pre-commit, CI) it is plain
    and rich is never imported; a reader sees the same words either way."""
    piped = subprocess.run(
        [sys.executable, "-X", "importtime", HATCH_STAGE, "check", "--project", str(SAMPLE)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "HATCH_STAGE_SCAN_CACHE": "0"})
    assert piped.returncode == 0, piped.stderr
    assert not re.search(r"\| +rich(\.|$)", piped.stderr, re.MULTILINE), "rich was imported"
    shown = _on_terminal(["check", "--project", str(SAMPLE)], tmp_path)
    assert "would stage sample-pkg 1.2.0" in shown
    assert _words(shown) == _words(piped.stdout)
