"""Printing results: one JSON document under ``--json``, rich text otherwise.

Under ``--json`` stdout carries exactly one JSON document and nothing else; progress and
diagnostics go to stderr. Human output uses rich on stdout. rich is imported when the first
rich text is printed: a ``--json`` run (CI, scripts) prints none, and rich costs some 5 MiB of
memory and 25 ms of start-up.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .errors import HatchStageError

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


class _ConsoleOnFirstUse:
    """A rich ``Console`` made (and rich imported) the first time it is used."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def escape(text: str) -> str:
    """``text`` with anything rich would read as markup escaped (rich's own ``escape``)."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


#: human output
console = cast("Console", _ConsoleOnFirstUse(highlight=False, soft_wrap=True,
                                              width=_width(sys.stdout)))
#: progress and diagnostics; never stdout, so --json stays parseable
stderr = cast("Console", _ConsoleOnFirstUse(stderr=True, highlight=False, soft_wrap=True,
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
