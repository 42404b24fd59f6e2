"""``hatch-stage check``: the dry run made for hooks (pre-commit, CI lint jobs).

Packs, rewrites, scans and scores exactly as ``publish --dry-run`` does; touches no network
and no credentials. Exit status 0 only when the release would be staged. ``--workspace`` is
``publish --workspace --dry-run``: it reads which member versions the registry has published
(``--offline``: nothing is read).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError
from ..output import emit_json
from ..pipeline import PREPARE_HOOKS
from .common import add_prepare_arguments, keep_artifacts, load_pipeline, render_report, workspace
from .flags import add_registry_arguments, add_workspace_arguments, check_flags, json_flag


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="pack, scan and score without staging (for pre-commit and CI)",
        description=__doc__,
    )
    add_prepare_arguments(parser)
    add_workspace_arguments(parser)
    add_registry_arguments(parser, "[tool.hatch-stage] registry, else the local one; read "
                           "with --workspace only")
    json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_flags(args)
    if args.workspace:
        from . import workspace_release  # its planning is loaded for --workspace only

        return workspace_release.run(args, dry_run=True, command="check")
    if args.registry or args.npm_registry:
        raise ConfigError("check reads no registry: --registry and --npm-registry work with "
                          "--workspace only")
    pipeline = load_pipeline(args, hooks=PREPARE_HOOKS)  # no auth, upload or review plugins
    with workspace() as workdir:
        report = pipeline.prepare(args.artifacts, workdir, dry_run=True)
        if args.out:
            keep_artifacts(report, args.out)
        if args.json:
            emit_json(report.as_json())
        else:
            render_report(report)
    return 1 if report.blockers else 0
