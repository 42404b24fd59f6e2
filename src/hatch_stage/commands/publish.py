"""``hatch-stage publish``: run the whole pipeline and stage the release.

With ``--dry-run`` it stops after scan and score, touching no network and no credentials,
and reports what would be staged. Otherwise the release is staged (never made live): the
output gives the stage id, the preview URL and the command that approves it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from ..errors import HatchStageError
from ..markup import escape
from ..output import console, emit_json, is_terminal
from ..pipeline import Pipeline, StageReport
from ..registry_choice import ChosenRegistry, public_preview, resolve_registry
from .common import add_prepare_arguments, keep_artifacts, load_pipeline, render_report, workspace
from .flags import (
    add_registry_arguments,
    add_workspace_arguments,
    check_flags,
    json_flag,
    target_of_flags,
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "publish",
        help="pack, scan, score and stage a release for approval",
        description=__doc__,
    )
    add_prepare_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="stop before auth: nothing is sent")
    parser.add_argument("--access", choices=("public", "restricted"), help="npm package access")
    provenance = parser.add_mutually_exclusive_group()
    provenance.add_argument(
        "--provenance",
        action="store_const",
        const=True,
        default=None,
        help="sign and require provenance (PEP 740 / npm sigstore bundle)",
    )
    provenance.add_argument(
        "--no-provenance",
        dest="provenance",
        action="store_const",
        const=False,
        help="do not attach provenance even where it is configured",
    )
    parser.add_argument("--provenance-file", metavar="PATH", help="attach this pre-made provenance")
    add_registry_arguments(parser, "[tool.hatch-stage] registry, else the local one")
    parser.add_argument(
        "--allow-lower",
        action="store_true",
        default=None,
        help="acknowledge staging a version below the highest published one",
    )
    parser.add_argument(
        "-y", "--yes", action="store_true", default=None, help="do not ask for confirmation"
    )
    add_workspace_arguments(parser)
    json_flag(parser)
    parser.set_defaults(func=run)


def _confirmed(args: argparse.Namespace, name: str, version: str, registry: str) -> bool:
    if args.yes or args.json or not is_terminal(sys.stdin):
        return True
    # the backslash keeps rich from reading [y/N] as markup (it would print nothing)
    question = f"Stage {escape(name)} {escape(version)} to {escape(registry)}? \\[y/N] "
    answer = console.input(question)
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    check_flags(args)
    if args.workspace:
        from . import workspace_release  # its planning is loaded for --workspace only

        return workspace_release.run(args, dry_run=args.dry_run, command="publish")
    args.target = target_of_flags(args.target, args.registry, args.npm_registry)
    if args.npm_registry:  # the npm plugins find their registry in the settings
        args.registry = args.npm_registry
    if args.provenance_file:  # a flag's path is relative to where the user stands
        args.provenance_file = str(Path(args.provenance_file).resolve())
    pipeline = load_pipeline(
        args,
        "access",
        "provenance",
        "provenance-file",
        "registry",
        "allow-lower",
        "yes",
    )
    with workspace() as workdir:
        report = pipeline.prepare(args.artifacts, workdir, dry_run=args.dry_run)
        if args.out:
            keep_artifacts(report, args.out)
        if args.dry_run or report.blockers:
            if args.json:
                emit_json(report.as_json())
            else:
                render_report(report)
            return 1 if report.blockers else 0
        registry = stage_registry(pipeline)
        args.error_registry = registry.label
        if not args.json:
            render_report(report)
        if not _confirmed(args, pipeline.project.name, pipeline.project.version, registry.label):
            raise HatchStageError(
                "not staged: cancelled at the confirmation prompt", code="cancelled"
            )
        staged = pipeline.stage(report, registry.url, registry.credentials, registry.label)
        assert staged.staged is not None
        preview = public_preview(registry, staged.staged.preview_url)
        staged = dataclasses.replace(
            staged, staged=dataclasses.replace(staged.staged, preview_url=preview)
        )
        if args.json:
            emit_json(staged.as_json())
        else:
            _print_staged(staged, registry)
    return 0


def stage_registry(pipeline: Pipeline) -> ChosenRegistry:
    """Where this release goes: npm targets resolve their own registry in their plugins."""
    if pipeline.project.target == "npm":
        from ..npm.npmrc import configured_registry

        project = pipeline.project
        url = configured_registry(pipeline.config.registry, project.root, project.name)
        return ChosenRegistry(url, None, url)
    return resolve_registry(pipeline.config)


def _print_staged(report: StageReport, registry: ChosenRegistry) -> None:
    assert report.staged is not None
    project = report.project
    console.print(
        f"[green]staged[/] {project.name} {project.version} to {report.registry}: "
        f"stage id [bold]{report.staged.stage_id}[/]"
    )
    if report.staged.preview_url:
        serve = " (after `hatch-stage serve`)" if registry.embedded else ""
        console.print(
            f"try it{serve}: pip install --index-url {report.staged.preview_url} "
            f"{project.name}=={project.version}"
        )
    digest = report.staged.data.get("release-digest")
    if digest:
        console.print(f"release digest: {digest}")
    stage_id = report.staged.stage_id
    console.print(
        f"nothing is live yet. review it (hatch-stage view {stage_id}), then approve exactly "
        f"what you saw: hatch-stage approve {stage_id}"
    )
