"""Groups in the review commands: ``list`` shows them, ``view GROUP_ID`` shows every member in
order (and remembers each as reviewed, as ``view ID`` does), ``download GROUP_ID`` fetches
them all, and ``approve``/``reject`` take a group id for its members in order.

A member approved or rejected since (``published``, ``canceled``, or no longer staged on an
npm registry) is left out of a decision with a note; a member rejected while others still
wait makes approving the group an error, since the group can no longer go live as a whole.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from ..errors import RegistryError
from ..markup import escape
from ..output import console, emit_json, envelope, stderr
from ..targets import groups
from ..targets.interface import GONE, StageClient, StagedGroup, StagedItem
from . import release

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]|^\.+")


def member_json(position: int, item: StagedItem) -> dict[str, Any]:
    return {"position": position, "stageId": item.stage_id, "name": item.name,
            "version": item.version, "status": item.status, "digest": item.digest}


def group_json(group: StagedGroup) -> dict[str, Any]:
    return {"id": group.id, "status": group.status, "kept": group.kept,
            "createdAt": group.created_at,
            "members": [member_json(position, item)
                        for position, item in enumerate(group.members)]}


def order_line(group: StagedGroup) -> str:
    return " -> ".join(f"{escape(item.name)} {escape(item.version)}"
                       + ("" if item.status in ("open", "staged", None) else
                          f" [dim]({escape(str(item.status))})[/]")
                       for item in group.members)


def render_groups(found: Sequence[StagedGroup]) -> None:
    """The groups block of ``list``."""
    if not found:
        return
    console.print("groups (decided together in this order, with one code: "
                  "hatch-stage approve GROUP_ID):")
    for group in found:
        kept = " [dim](kept on this machine)[/]" if group.kept == "local" else ""
        console.print(f"  {group.id}  {escape(str(group.status or ''))}  {order_line(group)}"
                      f"{kept}")


def expand(client: StageClient, ids: Sequence[str], action: str,
           ) -> tuple[list[str], dict[str, str]]:
    """The stage ids to decide, each group id replaced by its members awaiting a decision
    (in order); and stage id -> ``name@version`` for every member named."""
    expanded: list[str] = []
    labels: dict[str, str] = {}
    for given in ids:
        if not groups.is_group_id(given):
            expanded.append(given)
            continue
        group = groups.get(client, given)
        for item in group.members:
            labels[item.stage_id] = f"{item.name}@{item.version}"
        _refuse_broken(group, action)
        for item in group.members:
            if item in group.waiting:
                expanded.append(item.stage_id)
            else:
                what = ("no longer staged (approved or rejected since)" if item.status == GONE
                        else f"already {item.status}")
                stderr.print(f"[yellow]note:[/] {escape(item.name)} {escape(item.version)} "
                             f"({item.stage_id}) of {group.id} is {what}: left out")
    if not expanded:
        raise RegistryError(f"nothing to {action}: no member of {', '.join(ids)} awaits a "
                            "decision", code="conflict")
    return list(dict.fromkeys(expanded)), labels


def _refuse_broken(group: StagedGroup, action: str) -> None:
    rejected = [item for item in group.members if item.status == "canceled"]
    if action == "approve" and rejected and group.waiting:
        named = ", ".join(f"{item.name} {item.version} ({item.stage_id})" for item in rejected)
        raise RegistryError(
            f"group {group.id} cannot go live as a whole: {named} was rejected. Stage the "
            "workspace again (hatch-stage publish --workspace makes a new group), or approve "
            "the members still waiting together by their ids (reject first any you do not "
            "want: a registry with groups publishes none of them alone)", code="conflict")


def run_download(args: argparse.Namespace, client: StageClient) -> int:
    """``download GROUP_ID``: every member awaiting a decision into ``DEST/<name>-<version>/``,
    hashes verified, each remembered as reviewed."""
    fetched = []
    for item in groups.get(client, args.stage_id).waiting:
        # names come from the registry: made safe before they name a directory
        folder = _UNSAFE.sub("-", f"{item.name.lstrip('@')}-{item.version}")
        downloaded, paths = client.fetch(item.stage_id, args.dest / folder)
        release.remember(client, downloaded, "download")
        fetched.append({"stageId": downloaded.stage_id, "files": [str(path) for path in paths],
                        "digest": downloaded.digest})
        if not args.json:
            for path in paths:
                console.print(f"downloaded {path}")
    if args.json:
        emit_json(envelope(True, client.target, client.registry, fetched, groupId=args.stage_id))
    else:
        console.print(f"hatch-stage approve {args.stage_id} publishes exactly these files")
    return 0
