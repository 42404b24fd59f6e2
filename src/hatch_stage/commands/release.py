"""A staged release as the review commands show it, and the review an approval is bound to.

``view`` and ``download`` print the release (files and hashes, its release digest, the
history, the registry's validation report) and remember on this machine the digest they
showed (:mod:`hatch_stage.reviews`). ``approve`` binds each id to ``--digest`` or to that
remembered review; with neither it shows the release and asks on a terminal, and refuses
(``not_reviewed``) under ``--json``, ``-y`` or without a terminal, before sending anything.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from .. import reviews
from ..digest import is_digest
from ..errors import ConfigError, HatchStageError
from ..markup import escape
from ..output import console
from ..reviewing import signer
from ..targets.interface import StageClient, StagedItem
from .diffview import signed_by


def remember(client: StageClient, item: StagedItem, command: str) -> None:
    """Record what ``command`` showed of ``item`` as this machine's review of it."""
    if item.digest is not None:
        reviews.remember(reviews.Review(item.stage_id, client.registry, item.digest,
                                        dict(item.files), command))


def bound_digests(args: argparse.Namespace, client: StageClient, ids: Sequence[str],
                  can_prompt: bool) -> dict[str, str]:
    """The digest each approval names: ``--digest`` (once per id, in order), else this
    machine's last review of the id, else (on a terminal) what the maintainer confirms now.

    Raises ``not_reviewed`` before any request when an id has none and nobody can confirm.
    """
    given: list[str] = list(getattr(args, "digest", None) or [])
    if given and len(given) != len(ids):
        raise ConfigError(f"--digest was given {len(given)} times for {len(ids)} stage ids: "
                          "give it once per id, in the same order")
    digests: dict[str, str] = {}
    for stage_id, digest in zip(ids, given, strict=False):
        if client.target == "python" and not is_digest(digest):
            raise ConfigError(f"--digest {digest!r} is not a release digest (the 64 hex digits "
                              "`hatch-stage view` shows)")
        digests[stage_id] = digest
    for stage_id in ids:
        review = None if given else reviews.recall(stage_id)
        if review is not None:
            digests[stage_id] = review.digest
    missing = [stage_id for stage_id in ids if stage_id not in digests]
    if missing and not can_prompt:
        raise HatchStageError(
            f"not approved: {', '.join(missing)} {'was' if len(missing) == 1 else 'were'} not "
            "reviewed on this machine, and nothing was sent. Review first (`hatch-stage view "
            "ID` or `hatch-stage download ID`: approve then publishes exactly what they showed), "
            "or pass --digest DIGEST from a review made elsewhere",
            code="not_reviewed",
        )
    for stage_id in missing:
        item = client.view(stage_id)
        render(client, item)
        answer = console.input(f"approve exactly these files of {escape(item.name)} "
                               f"{escape(item.version)}? \\[y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise HatchStageError(f"not approved: {stage_id} was not confirmed",
                                  code="cancelled")
        if item.digest is not None:
            digests[stage_id] = item.digest
            remember(client, item, "approve")
    return digests


def _short(sha256: str | None) -> str:
    return f"{sha256[:16]}…" if sha256 else ""


def render(client: StageClient, item: StagedItem) -> None:
    """The human view of one staged release, everything a reviewer needs on one screen."""
    raw = item.raw
    console.print(f"[bold]{escape(item.name)} {escape(item.version)}[/] staged as {item.stage_id}")
    details = Table(box=None, pad_edge=False, show_header=False)
    for key, value in raw.items():
        # a field without a value (``group`` of a release staged alone) tells nothing
        if value is not None and not isinstance(value, (Mapping, list)) and key not in (
                "session-token", "release-digest"):
            details.add_row(f"  {key}", escape(str(value)))
    links = raw.get("links")
    if isinstance(links, Mapping) and links.get("stage"):
        details.add_row("  preview", escape(client.shown_url(str(links["stage"]))))
    console.print(details)
    for notice in raw.get("notices") or []:
        console.print(f"  [yellow]notice:[/] {escape(str(notice))}")
    _files(item)
    label = "release digest" if client.target == "python" else "tarball integrity"
    console.print(f"{label}: [bold]{escape(item.digest or 'none reported')}[/]")
    _history(raw.get("history"))
    _validation(raw.get("validation"))


def _files(item: StagedItem) -> None:
    # one file per line and its full hash on the next: a reviewer compares hashes, so they
    # are never cut to fit a narrow terminal
    files = item.raw.get("files")
    if not isinstance(files, Mapping):  # npm: one tarball
        files = {name: {"hashes": {"sha256": digest}, "status": item.status}
                 for name, digest in item.files.items()}
    if not files:
        return
    console.print("files:")
    for name, entry in sorted(files.items()):
        entry = entry if isinstance(entry, Mapping) else {}
        line = f"  {escape(name)}  {escape(str(entry.get('status', '')))}"
        if entry.get("size") is not None:
            line += f"  {entry['size']} bytes"
        if entry.get("replaced"):
            line += "  [yellow]replaced after it was first completed[/]"
        for notice in entry.get("notices") or []:
            line += f"  [red]{escape(str(notice))}[/]"
        console.print(line)
        algorithm = "sha256" if item.raw.get("files") else "integrity"
        console.print(f"    {algorithm} {escape(str(entry.get('hashes', {}).get('sha256', '')))}")
        if "provenance" in entry:  # a registry that reports provenance (hatch-stage serve)
            provenance = entry["provenance"]
            shown = signed_by(signer(provenance.get("publisher")) if isinstance(
                provenance, Mapping) else None)
            console.print(f"    provenance: {shown}")


def _history(history: Any) -> None:
    if not isinstance(history, list) or not history:
        return
    table = Table("  when", "what", "file", "by", "detail", box=None, pad_edge=False,
                  title="history", title_justify="left")
    for event in history:
        detail = event.get("reason") or ""
        if event.get("event") == "replaced":
            detail = f"{_short(event.get('previous-sha256'))} -> {_short(event.get('sha256'))}"
        elif event.get("event") == "added":
            detail = _short(event.get("sha256"))
        table.add_row(f"  {escape(str(event.get('at', '')))}", escape(str(event.get("event"))),
                      escape(str(event.get("filename") or "")), escape(str(event.get("actor"))),
                      escape(str(detail)))
    console.print(table)


def _validation(report: Any) -> None:
    if not isinstance(report, Mapping):
        return
    score = report.get("score")
    console.print(f"registry inspection: quality score [bold]{score if score is not None else '-'}"
                  f"[/]/100" + (f" ([yellow]{escape(str(report['error']))}[/])"
                                if report.get("error") else ""))
    findings = report.get("findings") or []
    if findings:
        table = Table("  artifact", "member:line", "type", "secret", "", box=None,
                      pad_edge=False, title="[red]findings[/]", title_justify="left")
        for finding in findings:
            where = str(finding.get("member", "")) + (
                f":{finding['line']}" if finding.get("line") else "")
            table.add_row(f"  {escape(str(finding.get('artifact', '')))}", escape(where),
                          escape(str(finding.get("type", ""))),
                          escape(str(finding.get("masked", ""))),
                          "[red]blocks[/]" if finding.get("blocking") else "")
        console.print(table)
    else:
        console.print("  [green]no secrets or blocked files found[/]")
    failed = [check for check in report.get("checks") or [] if not check.get("passed")]
    for check in failed:
        console.print(f"  [yellow]✗[/] {escape(str(check.get('name')))} "
                      f"{check.get('points')}/{check.get('max_points')}: "
                      f"{escape(str(check.get('reason')))}")
