"""Printing results: one JSON document under ``--json``, rich text otherwise.

Under ``--json`` stdout carries exactly one JSON document and nothing else; progress and
diagnostics go to stderr. Human output is rich markup on stdout, printed through rich on a
terminal and as plain text anywhere else (:mod:`hatch_stage.markup`); rich is imported only
when something goes to a terminal (or a user asks for colour with ``FORCE_COLOR``): a hook, a
CI log or a ``--json`` run never loads it (some 5 MiB of memory and 25 ms of start-up).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .errors import HatchStageError
from .markup import plain

if TYPE_CHECKING:
    from rich.console import Console


def is_terminal(stream: object) -> bool:
    """Whether ``stream`` is a terminal a person can answer on.

    False for a redirected stream, and for a closed one (``sys.stdin`` is None when the
    process was started with standard input closed, as some CI runners do).
    """
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed file
        return False


def _width(stream: object) -> int | None:
    # logs and hooks (pre-commit, CI) are not terminals: rich would squeeze tables into 80
    # columns and cut off member paths; there, lines may be as long as they need
    return None if is_terminal(stream) else 200


#: environment variables with which a user asks rich for colour where there is no terminal
_COLOUR_ASKED = ("FORCE_COLOR", "TTY_COMPATIBLE")


class Table:
    """Rows of markup in columns: rich's borderless table on a terminal, the same columns as
    plain text anywhere else."""

    def __init__(self, *headers: str) -> None:
        self.headers = headers
        self.rows: list[tuple[str, ...]] = []

    def add_row(self, *cells: str) -> None:
        if len(cells) > len(self.headers):
            raise ValueError(f"{len(cells)} cells for {len(self.headers)} columns")
        self.rows.append(cells + ("",) * (len(self.headers) - len(cells)))

    def rich(self) -> Any:
        from rich.table import Table as RichTable

        table = RichTable(*self.headers, box=None, pad_edge=False)
        for row in self.rows:
            table.add_row(*row)
        return table

    def plain(self) -> str:
        rows = [[plain(cell) for cell in row] for row in (self.headers, *self.rows)]
        widths = [max(len(row[column]) for row in rows) for column in range(len(self.headers))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows)


class _Console:
    """Prints markup and :class:`Table`: through rich on a terminal, as plain text on anything
    else (a log, a hook's captured output), where there are no colours to show and importing
    rich would cost a fifth of a pre-commit run. Everything else (``input``...) is rich's."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._rich: Console | None = None

    def _stream(self) -> Any:
        return sys.stderr if self._options.get("stderr") else sys.stdout

    def _console(self) -> Console:
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(**self._options)
        return self._rich

    def print(self, *objects: Any, end: str = "\n", markup: bool = True,
              highlight: bool = False, **options: Any) -> None:
        stream = self._stream()
        if (is_terminal(stream) or any(os.environ.get(name) for name in _COLOUR_ASKED)
                or highlight or options
                or not all(isinstance(o, (str, Table)) for o in objects)):
            self._console().print(*(o.rich() if isinstance(o, Table) else o for o in objects),
                                  end=end, markup=markup, highlight=highlight, **options)
            return
        parts = [o.plain() if isinstance(o, Table) else plain(o) if markup else o
                 for o in objects]
        stream.write(" ".join(parts) + end)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console(), name)


#: human output
console = cast("Console", _Console(highlight=False, soft_wrap=True, emoji=False,
                                   width=_width(sys.stdout)))
#: progress and diagnostics; never stdout, so --json stays parseable
stderr = cast("Console", _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False,
                                  width=_width(sys.stderr)))


#: every token this process has handled; masked wherever text leaves the process
_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a token so :func:`redact` masks it in anything printed."""
    if len(value) >= 6:
        _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered token replaced by asterisks."""
    for secret in _secrets:
        text = text.replace(secret, "********")
    return text


def emit_json(document: Mapping[str, Any]) -> None:
    """Write one JSON document to stdout (registered tokens masked)."""
    sys.stdout.write(redact(json.dumps(document, indent=2, sort_keys=False)) + "\n")
    sys.stdout.flush()


def envelope(
    success: bool,
    target: str | None,
    registry: str | None,
    data: Any = None,
    *,
    stage_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The shared ``--json`` envelope of every command."""
    document: dict[str, Any] = {"success": success, "target": target, "registry": registry}
    if stage_id is not None:
        document["stageId"] = stage_id
    document.update(extra)
    if data is not None:
        document["data"] = data
    return document


def report_error(
    error: HatchStageError, *, as_json: bool, target: str | None = None, registry: str | None = None
) -> int:
    """Print ``error`` for the user (JSON envelope or a red line) and return the exit status."""
    if as_json:
        document: dict[str, Any] = {
            "success": False,
            "target": target,
            "registry": registry,
            "error": redact(str(error)),
            "error_code": error.code,
        }
        if error.data is not None:
            document["data"] = error.data
        emit_json(document)
    else:
        stderr.print("[bold red]error:[/] ", end="")
        stderr.print(redact(str(error)), markup=False, highlight=False)
    return error.exit_code
