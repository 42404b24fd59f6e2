"""What ``publish --workspace`` and ``check --workspace`` print: a line per member, the
problems that stop the release, and once staged the group and how to approve it; or, under
``--json``, one document with every member's own pipeline report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from ..markup import escape
from ..output import console
from ..release_set.plan import MemberRelease, ReleaseSet

if TYPE_CHECKING:  # only named in annotations: check must not pay for the HTTP client
    from ..targets.interface import StagedGroup


def _state(entry: MemberRelease, release: ReleaseSet, dry_run: bool) -> tuple[str, str]:
    """(state, detail) of one member: skipped, blocked, not staged, would stage, staged."""
    if entry.left_out is not None:
        return "skipped", entry.left_out
    own = [message for member, _code, message in release.problems if member is entry]
    if own:
        return "blocked", "; ".join(own)
    if release.problems:
        return "not staged", "another member is blocked"
    if entry.stage_id is not None:
        return ("already staged" if entry.resumed else "staged"), entry.stage_id
    return ("would stage" if dry_run else "not staged"), ""


def _member_json(entry: MemberRelease, release: ReleaseSet, dry_run: bool) -> dict[str, Any]:
    state, detail = _state(entry, release, dry_run)
    return {
        "name": entry.name,
        "version": entry.version,
        "directory": str(entry.member.directory),
        "state": state,
        "reason": detail if state in ("skipped", "blocked", "not staged") else None,
        "problems": [{"code": code, "message": message}
                     for member, code, message in release.problems if member is entry],
        "requires": [found.text for found in entry.requires],
        "stageId": entry.stage_id,
        "preview_url": entry.staged.get("preview_url"),
        "report": entry.report.as_json() if entry.report is not None else None,
    }


def group_json(group: StagedGroup | None) -> dict[str, Any] | None:
    if group is None:
        return None
    return {"id": group.id, "kept": group.kept,
            "stageIds": [item.stage_id for item in group.members]}


def release_json(release: ReleaseSet, *, dry_run: bool,
                 group: StagedGroup | None = None) -> dict[str, Any]:
    """The ``--json`` document of a workspace release."""
    problems = release.problems
    document: dict[str, Any] = {
        "success": not problems,
        "dry_run": dry_run,
        "target": release.workspace.target,
        "registry": release.registry,
        "workspace": str(release.workspace.root),
        "order": [] if problems else [entry.name for entry in release.releasing],
        "group": group_json(group),
        "members": [_member_json(entry, release, dry_run) for entry in release.shown],
    }
    if problems:
        document["error"] = "nothing was staged: " + "; ".join(
            f"{entry.label}: {message}" for entry, _code, message in problems)
        document["error_code"] = problems[0][1]
    return document


def render_release(release: ReleaseSet, *, dry_run: bool,
                   group: StagedGroup | None = None) -> None:
    """The human summary of a workspace release."""
    table = Table("member", "version", "", "", box=None, pad_edge=False,
                  title=f"workspace {escape(str(release.workspace.root))}", title_justify="left")
    for entry in release.shown:
        state, detail = _state(entry, release, dry_run)
        colour = {"blocked": "red", "skipped": "dim", "not staged": "yellow"}.get(state, "green")
        table.add_row(escape(entry.name), escape(entry.version or ""),
                      f"[{colour}]{state}[/]", escape(detail))
    console.print(table)
    problems = release.problems
    if problems:
        console.print(f"[bold red]blocked:[/] nothing was staged ({len(problems)} "
                      f"problem{'s' if len(problems) != 1 else ''}):")
        for entry, _code, message in problems:
            console.print(f"  [bold]{escape(entry.label)}[/]: {escape(message)}")
        return
    order = " -> ".join(escape(entry.label) for entry in release.releasing)
    if not release.releasing:
        console.print("nothing to release: every chosen member is published or left out")
    elif dry_run:
        console.print(f"[green]would stage[/] in this order: {order} (dry run: nothing was sent)")
    elif group is not None:
        _staged(release, group)


def _staged(release: ReleaseSet, group: StagedGroup) -> None:
    console.print(f"[green]staged[/] {len(release.releasing)} releases to {release.registry} "
                  f"as group [bold]{group.id}[/], in dependency order:")
    for number, entry in enumerate(release.releasing, 1):
        again = " (staged already by an earlier run)" if entry.resumed else ""
        console.print(f"  {number}. {escape(entry.label)}  stage id [bold]{entry.stage_id}[/]"
                      f"{again}")
        preview = entry.staged.get("preview_url")
        if preview:
            console.print(f"     try it: pip install --index-url {preview} "
                          f"{escape(entry.name)}=={escape(entry.version or '')}")
    ids = " ".join(str(entry.stage_id) for entry in release.releasing)
    if group.kept == "local":
        console.print("the registry keeps no groups: this machine remembers the group; "
                      f"elsewhere approve the ids in this order: hatch-stage approve {ids}")
    console.print(f"nothing is live yet. review them (hatch-stage view {group.id}), then "
                  f"approve all of them with one code: hatch-stage approve {group.id}")
