"""Pieces the publish and check commands share: their flags, the prepare run, the summary."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import config as config_module
from ..errors import ConfigError
from ..inspection import by_file
from ..inspection.grouping import FileFindings, Reported
from ..markup import escape
from ..output import Table, console
from ..pipeline import Pipeline, StageReport
from ..plugins import plugin_manager
from ..project import load_project


def add_project_arguments(parser: argparse.ArgumentParser) -> None:
    """``--project`` and ``--target``: which project's settings apply."""
    parser.add_argument(
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the project directory (default: the current directory)",
    )
    parser.add_argument(
        "--target",
        choices=config_module.TARGETS,
        help="python or npm (default: what the project directory holds)",
    )


def add_prepare_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the local half of the pipeline (pack, rewrite, scan, score)."""
    parser.add_argument(
        "artifacts",
        nargs="*",
        type=Path,
        metavar="ARTIFACT",
        help="prebuilt wheels/sdists to stage (default: build the project with its own "
        "build backend)",
    )
    add_project_arguments(parser)
    parser.add_argument(
        "--min-score", metavar="N", help="fail when the quality score is below N (0-100)"
    )
    parser.add_argument(
        "--allow-secrets",
        action="store_true",
        default=None,
        help="do not block on secret findings (they are still reported)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="block on every secret finding, low-confidence ones too",
    )
    parser.add_argument("--tag", help="release tag / npm dist-tag (pre-releases need one)")
    parser.add_argument(
        "--no-isolation",
        dest="isolation",
        action="store_const",
        const=False,
        default=None,
        help="build in this environment, which must hold the build requirements (offline use)",
    )
    parser.add_argument(
        "--wheel",
        action="store_const",
        const=True,
        default=None,
        help="build the wheel even when it needs a compiler (default: check the sdist only)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="keep the exact artifacts that would be staged (after rewrite) in DIR",
    )


def flags_of(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """Config flags (pyproject key names) from parsed arguments; absent ones are None."""
    return {name: getattr(args, name.replace("-", "_"), None) for name in names}


def load_pipeline(args: argparse.Namespace, *extra_flags: str,
                  hooks: Sequence[str] | None = None) -> Pipeline:
    """The project's pipeline; with ``hooks``, it loads only the built-in plugins of those
    (see :func:`hatch_stage.plugins.plugin_manager`)."""
    root = args.project.resolve()
    if not root.is_dir():
        raise ConfigError(f"{args.project}: no such project directory")
    flags = flags_of(
        args, "target", "min-score", "allow-secrets", "strict", "tag", "isolation", "wheel",
        *extra_flags,
    )
    config = config_module.load(root, flags).replace(command=getattr(args, "command", "publish"))
    args.error_target = config.target
    args.artifacts = [path.resolve() for path in args.artifacts]
    project = load_project(root, config, args.artifacts)
    args.error_target = project.target
    manager = None if hooks is None else plugin_manager(disable=config.disable, hooks=hooks)
    return Pipeline(project, config, manager)


@contextmanager
def workspace() -> Iterator[Path]:
    """A private build directory, removed afterwards whatever happens."""
    directory = Path(tempfile.mkdtemp(prefix="hatch-stage-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def keep_artifacts(report: StageReport, out: Path) -> None:
    """Copy the exact artifacts that would be staged into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for artifact in report.artifacts:
        shutil.copyfile(artifact.path, out / artifact.filename)


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size:.1f} GiB"


#: files with only low-confidence findings listed one by one; past this, the largest only
FOLDED_FILES = 5


def _finding_line(reported: Reported) -> str:
    finding = reported.finding
    where = finding.member + (f":{finding.line}" if finding.line else "")
    what = finding.masked or finding.detail
    return (f"      {escape(where)}  {escape(finding.type)}  {escape(what)}  "
            f"[dim]\\[{escape(finding.rule or 'high')}][/]")


def _low_summary(group: FileFindings) -> str:
    rules = Counter(r.finding.rule or "low" for r in group.low)
    return ", ".join(f"{count} {escape(rule)}" for rule, count in rules.most_common())


def render_findings(report: StageReport) -> None:
    """Findings grouped by artifact and file: a line per high-confidence finding, low ones
    folded into counts, a secret in both the sdist and the wheel shown once."""
    if not report.findings:
        console.print(
            "[green]no secrets found[/]"
            + (f" ({report.baselined} accepted by the baseline)" if report.baselined else "")
        )
        return
    groups = by_file(report.findings)
    high = sum(len(g.high) for g in groups)
    low = sum(len(g.low) for g in groups)
    blocking = "block" if high or report.config.strict_gate else "none block"
    console.print(
        f"[bold]secret findings:[/] [red]{high} high confidence[/], {low} low confidence "
        f"({'every finding blocks: strict' if report.config.strict_gate else blocking})"
        + (f"; {report.baselined} accepted by the baseline" if report.baselined else "")
    )
    for artifact in dict.fromkeys(g.artifact for g in groups):
        files = [g for g in groups if g.artifact == artifact]
        console.print(f"  [bold]{escape(artifact)}[/]")
        for group in (g for g in files if g.high):
            count = len(group.high) + len(group.low)
            console.print(f"    {escape(group.member)}  ({count} finding{'s' if count > 1 else ''})"
                          + (f" [dim]also in {escape('; '.join(group.also))}[/]"
                             if group.also else ""))
            for reported in group.high:
                console.print(_finding_line(reported))
            if group.low:
                console.print(f"      [dim]+ {len(group.low)} low: {_low_summary(group)}[/]")
        folded = sorted((g for g in files if not g.high), key=lambda g: -len(g.low))
        if not folded:
            continue
        total = sum(len(g.low) for g in folded)
        console.print(f"    [dim]low confidence only: {total} finding{'s' if total > 1 else ''} in "
                      f"{len(folded)} file{'s' if len(folded) > 1 else ''}[/]")
        for group in folded[:FOLDED_FILES]:
            console.print(f"      [dim]{escape(group.member)}: {_low_summary(group)}[/]")
        if len(folded) > FOLDED_FILES:
            console.print(f"      [dim]… and {len(folded) - FOLDED_FILES} more files "
                          "(every finding: --json)[/]")


def render_report(report: StageReport) -> None:
    """The human summary of a prepared (or staged) release."""
    project = report.project
    title = f"{escape(project.name)} {escape(project.version)}"
    console.print(f"[bold]{title}[/] ({project.target}, tag {escape(report.tag)})")
    files = Table("file", "size", "sha256")
    for artifact in report.artifacts:
        files.add_row(escape(artifact.filename), _size(artifact.size), artifact.sha256[:16] + "…")
    console.print(files)
    render_findings(report)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(str(note))}")
    checks = Table("", "check", "points", "why")
    for check in report.checks:
        mark = "[green]✓[/]" if check.passed else "[yellow]✗[/]"
        checks.add_row(
            mark, escape(check.name), f"{check.points}/{check.max_points}", escape(check.reason)
        )
    console.print(checks)
    minimum = report.config.min_score
    console.print(
        f"quality score [bold]{report.score}[/]/100"
        + (f" (minimum {minimum})" if minimum is not None else "")
    )
    plan = report.provenance
    attached = {"file": "attached from files", "sign": "signed", "none": ""}[plan.how]
    console.print(
        f"provenance: [bold]{attached or 'none'}[/]"
        + (f" for {escape(', '.join(plan.files))}" if plan.files else "")
        + (f" ({escape(plan.note)})" if plan.note and plan.attached else "")
    )
    if report.blockers:
        for reason in report.blockers:
            console.print(f"[bold red]blocked:[/] {escape(reason)}")
    elif report.dry_run:
        console.print(
            f"[green]would stage[/] {project.name} {project.version} (dry run: nothing was sent)"
        )
