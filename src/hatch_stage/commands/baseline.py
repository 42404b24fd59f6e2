"""``hatch-stage baseline``: accept what the team has reviewed, in a ``.secrets.baseline``.

Packs, rewrites and scans as ``hatch-stage check`` does, then writes (or updates) the
project's detect-secrets baseline so the current findings are accepted from now on: secrets
by hash under their repository paths, blocked files (a fixture key, a test ``.env``) by path.
Review it with ``detect-secrets audit .secrets.baseline``. A secret added later still blocks.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..baseline_writer import Written, write
from ..contents import shared_reading
from ..markup import escape
from ..output import console, emit_json, envelope
from .common import add_project_arguments, load_pipeline, workspace
from .flags import json_flag


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "baseline",
        help="write or update .secrets.baseline to accept the current findings",
        description=__doc__,
    )
    parser.add_argument("artifacts", nargs="*", type=Path, metavar="ARTIFACT",
                        help="prebuilt wheels/sdists (default: build the project)")
    add_project_arguments(parser)
    parser.add_argument("--baseline", metavar="PATH", dest="baseline_path", type=Path,
                        help="where to write (default: the baseline setting, else "
                             ".secrets.baseline in the project directory)")
    json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    pipeline = load_pipeline(args)
    root = pipeline.project.root
    path = args.baseline_path or pipeline.config.baseline or root / ".secrets.baseline"
    with workspace() as workdir, shared_reading():
        artifacts = pipeline.rewrite(pipeline.pack(args.artifacts, workdir), workdir)
        findings, _notes = pipeline.scan_all(artifacts)
        written = write(path.resolve(), root, findings, exact=pipeline.config.exact_scan)
    if args.json:
        emit_json(envelope(True, pipeline.project.target, None, {
            "baseline": str(written.path),
            "secrets": written.secrets,
            "files": sorted(written.files),
            "accepted_files": written.excluded,
            "high_confidence": [f.as_json() for f in written.high],
            "not_in_project": written.unmapped,
        }))
    else:
        _print(written)
    return 0


def _print(written: Written) -> None:
    console.print(f"wrote [bold]{escape(str(written.path))}[/]: {written.secrets} secret(s) in "
                  f"{len(written.files)} file(s), {len(written.excluded)} file(s) accepted by path")
    for where in written.excluded:
        console.print(f"  accepted file: {escape(where)}")
    if written.high:
        console.print(f"[yellow]{len(written.high)} high-confidence finding(s) accepted: make "
                      "sure they are not real secrets[/]")
        for finding in written.high:
            line = f":{finding.line}" if finding.line else ""
            console.print(f"  {escape(finding.member + line)}  {escape(finding.type)}")
    for member in written.unmapped:
        console.print(f"[yellow]not in the project directory (made at build time), not listed:"
                      f"[/] {escape(member)}")
    console.print("review it with: detect-secrets audit " + escape(written.path.name))
