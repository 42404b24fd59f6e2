"""``hatch-stage diff STAGE_ID``: what changed since the last published release, with flags.

The staged files and the previous release's (the latest published version below the staged
one, or ``--against VERSION``) are downloaded and verified, then compared member by member
(:mod:`hatch_stage.diff`); review-rule plugins flag what a reviewer must look at.
``--files`` adds bounded unified diffs of changed text members.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..diff import DiffLimits
from ..output import console, emit_json, envelope
from ..reviewing import diff_staged
from .clients import add_stage_command, client_config, stage_client
from .diffview import render_diff


def register(subparsers: Any) -> None:
    summary = "show what changed since the last published release, and the review flags"
    parser = add_stage_command(subparsers, "diff", summary, __doc__ or "", run)
    parser.add_argument("--against", metavar="VERSION",
                        help="compare with this published version (default: the latest "
                        "published version below the staged one)")
    parser.add_argument("--files", action="store_true",
                        help="add unified diffs of changed text files (bounded in size)")


def run(args: argparse.Namespace) -> int:
    client = stage_client(args)
    config = client_config(args)
    diff = diff_staged(client, args.stage_id, config, against=args.against,
                       text_diffs=DiffLimits() if args.files else None)
    if args.json:
        emit_json(envelope(True, client.target, client.registry, diff.as_json(),
                           stage_id=client.check_id(args.stage_id)))
        return 0
    render_diff(console, diff, files=args.files)
    return 0
