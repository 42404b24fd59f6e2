"""The ``hatch-stage`` command line: parses arguments and hands over to one command module.

Each module in :mod:`hatch_stage.commands` adds its own subparser with ``register`` and does
its work in ``run(args) -> exit status``; this module only wires them together and turns a
:class:`HatchStageError` into a clear message (or a JSON error envelope) and an exit status.

Start-up pays only for the command that runs: only its module is imported (and through it
rich, detect-secrets, the registry client or the ASGI stack, if it uses them); every other
command is listed from :data:`SUMMARIES` without importing anything. ``--version`` and
``--help`` import no command at all. ``tests/test_cli_start.py`` holds the table to what the
modules register.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .errors import HatchStageError, UsageError

#: command modules, in the order ``--help`` lists them
COMMANDS = ("publish", "check", "baseline", "review", "diff", "verify", "login", "serve", "admin")

#: every command: name -> (the module that registers it, its line in ``--help``), in order
SUMMARIES: dict[str, tuple[str, str]] = {
    "publish": ("publish", "pack, scan, score and stage a release for approval"),
    "check": ("check", "pack, scan and score without staging (for pre-commit and CI)"),
    "baseline": ("baseline", "write or update .secrets.baseline to accept the current findings"),
    "list": ("review", "list staged releases, optionally of one package"),
    "view": ("review", "show one staged release"),
    "download": ("review", "download every file of a staged release, hashes verified"),
    "approve": ("review", "make staged releases live (needs a one-time password)"),
    "reject": ("review", "discard staged releases (needs a one-time password)"),
    "diff": ("diff", "show what changed since the last published release, and the review flags"),
    "verify": ("verify", "rebuild the staged wheel from the staged sdist and compare them; "
               "check the files' provenance against the publisher you expect"),
    "login": ("login", "store a registry token in the system keyring"),
    "logout": ("login", "forget the stored registry token"),
    "serve": ("serve", "run the stage registry"),
    "admin": ("admin", "manage registry users, tokens and projects"),
}


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


def command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if it names one (the top level has options but no values)."""
    first = next((argument for argument in argv if not argument.startswith("-")), None)
    return first if first in SUMMARIES else None


def build_parser(modules: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The parser, with the commands of ``modules`` (of :data:`COMMANDS`) registered in full:
    every other command is a one-line entry, enough for ``--help`` and for a mistake."""
    parser = _Parser(
        prog="hatch-stage",
        description="Staged publishing: pack, scan, score and stage a release; "
        "it goes live only when a maintainer approves it.",
    )
    parser.add_argument("--version", action="version", version=f"hatch-stage {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, summary) in SUMMARIES.items():
        if name in subparsers.choices:
            continue  # its module registered it with the one before
        if module in modules:  # adds all of its commands, next to each other in the table
            importlib.import_module(f"hatch_stage.commands.{module}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    # run as the program (not called with arguments from other code): the objects made while
    # the command module is imported live as long as the process, and the cyclic collector
    # would walk them again on each full collection (a tenth of a pre-commit run); so it
    # waits until they are made, then leaves them out of its walks (gc.freeze)
    as_program = argv is None and gc.isenabled()
    if as_program:
        gc.disable()
    try:
        command = command_named(arguments)
        args = build_parser(() if command is None else (SUMMARIES[command][0],)).parse_args(
            arguments)
    except UsageError as mistake:
        from .output import report_error

        if not wants_json(arguments):
            sys.stderr.write(mistake.usage)
        return report_error(mistake, as_json=wants_json(arguments))
    finally:
        if as_program:
            gc.freeze()
            gc.enable()
    if getattr(args, "json", False):
        from . import progress

        progress.enabled = False  # stdout and stderr stay free of bars under --json
    try:
        status: int = args.func(args)
        return status
    except HatchStageError as error:
        from .output import report_error

        return report_error(
            error,
            as_json=getattr(args, "json", False),
            target=getattr(args, "error_target", None),
            registry=getattr(args, "error_registry", None),
        )
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The ``hatch-stage`` program: :func:`main` on the command line, then the end of the
    process (see :func:`_end`). Code that calls :func:`main` keeps its process."""
    _end(main())


def _end(status: int) -> NoReturn:
    # the command's work is done and its files are closed: all Python's shutdown would add is
    # freeing every object and module one at a time, some 10 ms (a twentieth of a pre-commit
    # run). Exit handlers still run; with another thread alive, the usual shutdown waits for it
    if threading.active_count() == 1:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: the usual shutdown reports it
            pass
        else:
            atexit._run_exitfuncs()
            os._exit(status)
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
