"""Showing a :class:`~hatch_stage.diff.ReleaseDiff` on the terminal (``diff`` and ``view``).

Everything in a diff comes from a package (names, paths, URLs, file contents), so every piece
is escaped (:func:`hatch_stage.markup.escape`: markup made text, control characters shown):
a member cannot move the cursor, recolour the screen or hide a line from the reviewer.
"""

from __future__ import annotations

from rich.console import Console

from ..diff import ArtifactDiff, Flag, ReleaseDiff
from ..markup import escape
from ..provenance import SignedBy

_MARKS = {"added": "[green]+[/]", "removed": "[red]-[/]", "changed": "[yellow]~[/]"}


def safe(text: object) -> str:
    """Package-provided text, harmless on a terminal and in rich markup."""
    return escape(str(text))


def _size(delta: int) -> str:
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    size = abs(delta)
    return f"{sign}{size} B" if size < 1024 else f"{sign}{size / 1024:.1f} KiB"


def _where(flag: Flag) -> str:
    place = flag.member or ""
    if flag.member and flag.line:
        place += f":{flag.line}"
    if flag.artifact:
        place += f" ({flag.artifact})" if place else flag.artifact
    return place


def heading(diff: ReleaseDiff) -> str:
    title = f"{safe(diff.name)} {safe(diff.version)}"
    if diff.first_release:
        return f"[bold]{title}[/]: a first release, nothing published before: everything is added"
    return f"[bold]{title}[/] against the published {safe(diff.against)}"


def render_flags(console: Console, diff: ReleaseDiff) -> None:
    if not diff.flags:
        console.print("[green]no flags[/]: no review rule found anything to point out")
        return
    console.print(f"[bold red]{len(diff.flags)} flag{'s' if len(diff.flags) != 1 else ''}[/]")
    for flag in diff.flags:
        detail = f" [dim]({safe(flag.detail)})[/]" if flag.detail else ""
        where = _where(flag)
        console.print(f"  [red]⚑[/] [bold]{safe(flag.rule)}[/] {safe(flag.reason)}{detail}"
                      + (f"\n      [dim]{safe(where)}[/]" if where else ""))


def counts_line(diff: ReleaseDiff) -> str:
    counts = diff.counts()
    return (f"files: {counts['files_added']} added, {counts['files_changed']} changed, "
            f"{counts['files_removed']} removed; dependencies: {counts['dependencies_added']} "
            f"added, {counts['dependency_changes']} changed in all; "
            f"{counts['metadata_changes']} metadata and {counts['entry_point_changes']} "
            "entry-point changes")


def _artifact(console: Console, artifact: ArtifactDiff, files: bool) -> None:
    against = f"against {safe(artifact.against)}" if artifact.against else safe(
        artifact.note or "nothing to compare with")
    console.print(f"[bold]{safe(artifact.filename)}[/] {against}: {artifact.count('added')} "
                  f"added, {artifact.count('changed')} changed, {artifact.count('removed')} "
                  f"removed, {artifact.unchanged} unchanged")
    for file in artifact.files:
        note = f" [dim]{safe(file.note)}[/]" if file.note else ""
        binary = " [dim]binary[/]" if file.binary and file.change != "removed" else ""
        console.print(f"  {_MARKS[file.change]} {safe(file.path)}  {_size(file.size_delta)}"
                      f"{binary}{note}")
        if files and file.diff:
            for line in file.diff.splitlines():
                colour = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
                text = safe(line)
                console.print(f"      [{colour}]{text}[/]" if colour else f"      {text}")


def signed_by(signer: SignedBy | None) -> str:
    """Who signed a file, for the reviewer: kind, repository or project, workflow, ref."""
    if signer is None:
        return "[yellow]no provenance[/]"
    return f"[green]signed[/] by {safe(signer.describe())}"


def render_provenance(console: Console, diff: ReleaseDiff) -> None:
    """Per staged file, who signed it and who signed the file it is compared with."""
    if not diff.provenance:
        return
    console.print("[bold]provenance[/] [dim](PEP 740 attestations, verified by the registry)[/]")
    for item in diff.provenance:
        line = f"  {safe(item.filename)}: {signed_by(item.signed_by)}"
        if item.against:
            line += f"\n      [dim]{safe(item.against)}:[/] {signed_by(item.previous)}"
        console.print(line)


def render_diff(console: Console, diff: ReleaseDiff, *, files: bool = False) -> None:
    """The whole diff: flags first, then provenance, files, metadata, dependencies, entry
    points."""
    console.print(heading(diff))
    render_flags(console, diff)
    render_provenance(console, diff)
    console.print(counts_line(diff))
    for artifact in diff.artifacts:
        _artifact(console, artifact, files)
    for filename in diff.unmatched:
        console.print(f"[dim]{safe(filename)} of the previous release has no counterpart[/]")
    if diff.metadata:
        console.print("[bold]metadata[/]")
        for change in diff.metadata:
            old = safe(change.old) if change.old is not None else ""
            new = safe(change.new) if change.new is not None else ""
            arrow = f"{old} -> {new}" if change.change == "changed" else (new or old)
            console.print(f"  {_MARKS[change.change]} {safe(change.field)}: {arrow}")
    if diff.dependencies:
        console.print("[bold]dependencies[/]")
        for dependency in diff.dependencies:
            group = f" [dim]({safe(dependency.group)})[/]" if dependency.group else ""
            shown = (f"{safe(dependency.old)} -> {safe(dependency.new)}"
                     if dependency.old and dependency.new else safe(dependency.new or
                                                                     dependency.old))
            console.print(f"  {dependency.change}: {shown}{group}")
    if diff.entry_points:
        console.print("[bold]entry points[/]")
        for entry in diff.entry_points:
            target = safe(entry.new if entry.new is not None else entry.old)
            console.print(f"  {_MARKS[entry.change]} [{safe(entry.group)}] {safe(entry.name)} = "
                          f"{target}")


def render_summary(console: Console, diff: ReleaseDiff, stage_id: str) -> None:
    """What ``view`` shows: the flags and the counts, and where to see the rest."""
    console.print(heading(diff))
    render_flags(console, diff)
    console.print(counts_line(diff))
    console.print(f"[dim]details: hatch-stage diff {safe(stage_id)} (--files for the text)[/]")
