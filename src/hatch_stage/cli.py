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

from . import __version__
from .errors import HatchStageError
from .output import report_error

#: command modules, in the order ``--help`` lists them
COMMANDS = ("publish", "check", "review", "login", "serve", "admin")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hatch-stage",
        description="Staged publishing: pack, scan, score and stage a release; "
        "it goes live only when a maintainer approves it.",
    )
    parser.add_argument("--version", action="version", version=f"hatch-stage {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"hatch_stage.commands.{name}").register(subparsers)
    return parser


def json_flag(parser: argparse.ArgumentParser) -> None:
    """Add the ``--json`` flag every command takes."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document and nothing else"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
