"""``hatch-stage list|view|download|approve|reject``: review and decide on staged releases.

Each command is a thin function over a :class:`~hatch_stage.targets.interface.StageClient`, so
the same code serves Python indexes and npm registries. Approve and reject need a one-time
password where the registry demands one: ``--otp``, else a prompt on a terminal, else (under
``--json``, ``-y`` or without a terminal) a clear error instead of a hang. An approval is
bound to what was reviewed (:mod:`.release`): ``view`` and ``download`` remember the digest
they showed, and approve sends it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table

from ..diff import ReleaseDiff
from ..errors import HatchStageError, OtpRequired
from ..markup import escape
from ..output import console, emit_json, envelope, is_terminal
from ..reviewing import diff_staged
from ..targets import groups
from ..targets.decisions import decide_many
from ..targets.interface import StageClient, StagedItem
from . import groupreview, release
from .clients import add_client_arguments, client_config, stage_client
from .diffview import render_summary
from .flags import json_flag
from .webpage import open_review_page


def register(subparsers: Any) -> None:
    commands: list[tuple[str, str, Callable[[argparse.Namespace], int]]] = [
        ("list", "list staged releases, optionally of one package", run_list),
        ("view", "show one staged release", run_view),
        ("download", "download every file of a staged release, hashes verified", run_download),
        ("approve", "make staged releases live (needs a one-time password)", run_approve),
        ("reject", "discard staged releases (needs a one-time password)", run_reject),
    ]
    for name, summary, function in commands:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help=summary, description=summary
        )
        if name == "list":
            parser.add_argument("package", nargs="?", help="only this package")
        elif name in ("view", "download"):
            parser.add_argument("stage_id", metavar="STAGE_ID",
                                help="a stage id, or a group id (every member, in order)")
        else:
            parser.add_argument(
                "stage_ids",
                nargs="+",
                metavar="STAGE_ID",
                help="one or more stage ids or group ids (one prompt for all; a group's "
                "members in its order)",
            )
            parser.add_argument("--otp", metavar="CODE", help="the one-time password")
            parser.add_argument("-y", "--yes", action="store_true", help="never prompt")
        if name == "view":
            parser.add_argument("--web", action="store_true",
                                help="open the registry's review page of the release in your "
                                "browser (sign in there with a maintain token and a code)")
        if name == "approve":
            parser.add_argument(
                "--digest",
                action="append",
                metavar="DIGEST",
                help="the release digest you reviewed (view shows it); once per stage id, in "
                "order (default: what this machine's last view or download of the id showed)",
            )
            parser.add_argument(
                "--allow-secrets",
                action="store_true",
                help="publish even though the registry's scan found secrets or blocked files",
            )
        if name == "download":
            parser.add_argument(
                "-d",
                "--dest",
                type=Path,
                default=Path("."),
                metavar="DIR",
                help="where to write the files (default: current directory)",
            )
        add_client_arguments(parser)
        json_flag(parser)
        parser.set_defaults(func=function)


def item_json(item: StagedItem) -> dict[str, Any]:
    return {
        "stageId": item.stage_id,
        "name": item.name,
        "version": item.version,
        "tag": item.tag,
        "status": item.status,
        "createdAt": item.created_at,
        "digest": item.digest,
        "registry": dict(item.raw),
    }


def _done(
    args: argparse.Namespace, client: StageClient, data: Any, stage_id: str | None = None
) -> int:
    emit_json(envelope(True, client.target, client.registry, data, stage_id=stage_id))
    return 0


def run_list(args: argparse.Namespace) -> int:
    client = stage_client(args)
    items = client.list(args.package)
    listed = {item.stage_id for item in items}
    found = [group for group in groups.listing(client, items)
             if not args.package or any(member.stage_id in listed for member in group.members)]
    in_group = {member.stage_id: group.id for group in found for member in group.members}
    if args.json:
        data = [{**item_json(item), "group": in_group.get(item.stage_id)} for item in items]
        emit_json(envelope(True, client.target, client.registry, data,
                           groups=[groupreview.group_json(group) for group in found]))
        return 0
    if not items:
        console.print("nothing is staged" + (f" for {args.package}" if args.package else ""))
        return 0
    groupreview.render_groups(found)
    table = Table(box=None, pad_edge=False)
    table.add_column("stage id", no_wrap=True, min_width=36)
    for heading in ("package", "version", "tag", "status", "staged at"):
        table.add_column(heading)
    for item in items:
        table.add_row(
            item.stage_id,
            item.name,
            item.version,
            item.tag or "",
            item.status or "",
            item.created_at or "",
        )
    console.print(table)
    return 0


def _review_diff(args: argparse.Namespace, client: StageClient,
                 stage_id: str) -> tuple[ReleaseDiff | None, str]:
    """The diff ``view`` shows, or why there is none (a view still works without it)."""
    try:
        return diff_staged(client, stage_id, client_config(args)), ""
    except HatchStageError as error:
        return None, str(error)


def _viewed(args: argparse.Namespace, client: StageClient, item: StagedItem) -> dict[str, Any]:
    """Show one staged release (``--json``: its document) and remember it as reviewed."""
    release.remember(client, item, "view")
    diff, why_not = _review_diff(args, client, item.stage_id)
    data = item_json(item)
    data["diff"] = diff.as_json() if diff is not None else None
    if why_not:
        data["diff_error"] = why_not
    if not args.json:
        release.render(client, item)
        if diff is not None:
            render_summary(console, diff, item.stage_id)
        else:
            console.print(f"[yellow]no diff[/]: {escape(why_not)}")
    return data


def run_view(args: argparse.Namespace) -> int:
    if args.web:
        return open_review_page(args)
    client = stage_client(args)
    if groups.is_group_id(args.stage_id):
        return _view_group(args, client)
    item = client.view(args.stage_id)
    data = _viewed(args, client, item)
    if args.json:
        return _done(args, client, data, item.stage_id)
    console.print(f"approve exactly this: hatch-stage approve {item.stage_id}")
    return 0


def _view_group(args: argparse.Namespace, client: StageClient) -> int:
    """Every member of the group, in order, each shown (and remembered) as ``view ID`` does."""
    group = groups.get(client, args.stage_id)
    if not args.json:
        console.print(f"[bold]group {group.id}[/] ({escape(str(group.status or ''))}, "
                      f"{len(group.members)} releases, decided in this order): "
                      f"{groupreview.order_line(group)}")
    shown = []
    for position, member in enumerate(group.members, 1):
        if member not in group.waiting:
            continue
        item = member if member.raw.get("files") is not None or client.target == "npm" \
            else client.view(member.stage_id)
        if not args.json:
            console.print(f"\n[bold]{position}/{len(group.members)}[/]")
        shown.append(_viewed(args, client, item))
    if args.json:
        emit_json(envelope(True, client.target, client.registry,
                           {"group": groupreview.group_json(group), "members": shown},
                           groupId=group.id))
        return 0
    console.print(f"approve exactly these, in this order, with one code: "
                  f"hatch-stage approve {group.id}")
    return 0


def run_download(args: argparse.Namespace) -> int:
    client = stage_client(args)
    if groups.is_group_id(args.stage_id):
        return groupreview.run_download(args, client)
    item, paths = client.fetch(args.stage_id, args.dest)
    release.remember(client, item, "download")
    if args.json:
        data = {"files": [str(path) for path in paths], "digest": item.digest}
        return _done(args, client, data, item.stage_id)
    for path in paths:
        console.print(f"downloaded {path}")
    console.print(f"digest {item.digest}: hatch-stage approve {item.stage_id} publishes exactly "
                  "these files")
    return 0


def _can_prompt(args: argparse.Namespace) -> bool:
    return not (args.json or args.yes) and is_terminal(sys.stdin)


def _decide(args: argparse.Namespace, action: str) -> int:
    """Approve or reject every named id; one code serves the batch while the registry accepts it."""
    client = stage_client(args)
    tried = [args.otp] if args.otp else []

    def ask() -> str:
        if not _can_prompt(args):
            problem = (
                "the registry refused the one-time password (wrong, expired or already used)"
                if tried
                else f"{action} needs a one-time password"
            )
            raise OtpRequired(
                f"{problem}: pass --otp CODE (there is no prompt under --json, -y or without "
                "a terminal)"
            )
        note = "a fresh " if tried else ""
        code = console.input(f"{note}one-time password to {action}: ", password=True).strip()
        tried.append(code)
        return code

    ids, labels = groupreview.expand(client, args.stage_ids, action)
    ids = [client.check_id(stage_id) for stage_id in ids]
    if client.target == "npm" and len(ids) > 1:
        # one request per id: name each one now, to say exactly what went live if one fails
        labels = {stage_id: labels.get(stage_id) or _label(client.view(stage_id))
                  for stage_id in ids}
    digests: dict[str, str] = {}
    if action == "approve":
        digests = release.bound_digests(args, client, ids, _can_prompt(args))
    results = decide_many(
        client,
        action,
        ids,
        ask,
        code=args.otp,
        digests=digests,
        allow_secrets=getattr(args, "allow_secrets", False),
        labels=labels,
    )
    if args.json:
        single = ids[0] if len(args.stage_ids) == 1 and len(ids) == 1 else None
        data = results[0]["result"] if single else results
        return _done(args, client, data, single)
    done = "approved: now live" if action == "approve" else "rejected: discarded"
    for result in results:
        console.print(f"[green]{done}[/] {result['stageId']}")
    return 0


def _label(item: StagedItem) -> str:
    return f"{item.name}@{item.version}"


def run_approve(args: argparse.Namespace) -> int:
    return _decide(args, "approve")


def run_reject(args: argparse.Namespace) -> int:
    return _decide(args, "reject")
