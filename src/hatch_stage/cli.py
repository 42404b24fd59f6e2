"""The ``hatch-stage`` command line: parses arguments and hands over to one command module.

Each module in :mod:`hatch_stage.commands` adds its own subparser with ``register`` and does
its work in ``run(args) -> exit status``; this module only wires them together and turns a
:class:`HatchStageError` into a clear message (or a JSON error envelope) and an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .errors import HatchStageError, UsageError
from .output import report_error

#: command modules, in the order ``--help`` lists them
COMMANDS = ("publish", "check", "baseline", "review", "diff", "verify", "login", "serve", "admin")


class _Parser(argparse.ArgumentParser):
    """Raises a :class:`UsageError` for a mistake instead of exiting, so that ``--json`` can
    answer with its error envelope (subcommand parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", usage=self.format_usage())


def wants_json(argv: Sequence[str]) -> bool:
    """Whether ``--json`` (or an abbreviation argparse accepts) is among the options."""
    for argument in argv:
        if argument == "--":
            return False
        if argument.startswith("--json=") or (len(argument) > 3 and "--json".startswith(argument)):
            return True
    return False


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hatch-stage",
        description="Staged publishing: pack, scan, score and stage a release; "
        "it goes live only when a maintainer approves it.",
    )
    parser.add_argument("--version", action="version", version=f"hatch-stage {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"hatch_stage.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(arguments)
    except UsageError as mistake:
        if not wants_json(arguments):
            sys.stderr.write(mistake.usage)
        return report_error(mistake, as_json=wants_json(arguments))
    if getattr(args, "json", False):
        from . import progress

        progress.enabled = False  # stdout and stderr stay free of bars under --json
    try:
        status: int = args.func(args)
        return status
    except HatchStageError as error:
        return report_error(
            error,
            as_json=getattr(args, "json", False),
            target=getattr(args, "error_target", None),
            registry=getattr(args, "error_registry", None),
        )
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
