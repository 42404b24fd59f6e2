"""Publishing (approve) and canceling (reject) sessions: the maintainer's side.

Both need a maintain token and a fresh one-time password. An approval is bound to what the
approver reviewed: it names the release digest of the files they saw (``release-digest``,
:mod:`hatch_stage.digest`), and the registry publishes only if the session's files still
have that digest. Everything is checked, and the code spent, in the one transaction that
publishes: a refused request (the release changed since review, a file not ready, findings
that block) burns no code, and nothing can change between the check and the publish.

Publishing inserts every file into the live index in that transaction. With promotion
configured the session is ``processing`` while the files go upstream, and ends ``published``
or, on any failure at all (the upstream refusing or down, a file that cannot be read), in
``error`` with the reason and nothing public; a later approval retries it.

Several sessions can be decided under one code (:func:`decide`), all or none: they are
checked, and published, in one transaction. A session of a group is published only with the
rest of its group that awaits a decision (:func:`.grouping.require_whole`). When some are
promoted upstream, the whole batch is promoted first (in order) and then published here in
one transaction; any failure leaves every session of the batch in ``error``, none of them
public here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..digest import is_digest, release_digest
from ..inspection import blocking
from ..models import Finding
from . import grouping, guards, history, notifications, records, schema
from .context import Context
from .housekeeping import collect_garbage
from .problems import (
    BadRequest,
    ChangedSinceReview,
    Conflict,
    DigestRequired,
    FilesNotReady,
    SecretsFound,
    UpstreamFailed,
)
from .promotion import promote
from .views import Approval, Principal, ProjectSettings, SessionView

log = logging.getLogger("hatch_stage.registry")

#: most sessions one batch decision may name
MAX_BATCH = 100
ACTIONS = ("publish", "cancel")


def publish(ctx: Context, principal: Principal, session_id: str, otp: str | None,
            digest: str | None = None, *, allow_secrets: bool = False) -> SessionView:
    """Make the session's files public, atomically (PEP 694 publish, approve)."""
    return decide(ctx, principal, "publish", [Approval(session_id, digest)], otp,
                  allow_secrets=allow_secrets)[0]


def cancel(ctx: Context, principal: Principal, session_id: str, otp: str | None) -> SessionView:
    """Discard the session and its files (PEP 694 cancel, reject)."""
    return decide(ctx, principal, "cancel", [Approval(session_id)], otp)[0]


def decide(ctx: Context, principal: Principal, action: str, approvals: Sequence[Approval],
           otp: str | None, *, allow_secrets: bool = False) -> list[SessionView]:
    """Publish or cancel sessions under one one-time password, all or none.

    Every session is checked, the code spent and the decisions written in one transaction,
    so a refused batch burns nothing and decides nothing. When sessions are promoted
    upstream, the whole batch waits (``processing``) until every promotion succeeded and is
    then published in one transaction; a failed promotion leaves every session of the batch
    in ``error``, nothing public here (see :func:`_promote_batch`). Sessions of one group are
    decided in the group's order, however the request lists them. Returns the decided
    sessions in that order.
    """
    if action not in ACTIONS:
        raise BadRequest("action must be publish or cancel")
    ids = [approval.session_id for approval in approvals]
    if not ids or len(ids) > MAX_BATCH or len(set(ids)) != len(ids):
        raise BadRequest(f"name from 1 to {MAX_BATCH} different sessions")
    ctx.accounts.require_maintainer(principal)
    by_id = {approval.session_id: approval for approval in approvals}
    in_order = [by_id[session_id] for session_id in grouping.ordered(ctx, ids)]
    return _decide(ctx, principal, action, in_order, otp=otp, authorize=True,
                   allow_secrets=allow_secrets)


def release(ctx: Context, principal: Principal, session_id: str) -> SessionView:
    """Publish a session the caller has already authorized (a direct legacy upload):
    no code, no digest; the findings still block."""
    return _decide(ctx, principal, "publish", [Approval(session_id)], otp=None,
                   authorize=False, allow_secrets=False)[0]


def _decide(ctx: Context, principal: Principal, action: str, approvals: Sequence[Approval],
            *, otp: str | None, authorize: bool, allow_secrets: bool) -> list[SessionView]:
    decided: dict[str, SessionView] = {}
    promoting: list[tuple[Any, ProjectSettings]] = []
    with ctx.db.write() as connection:
        # lock every session first, in one order, so two batches never wait on each other
        for session_id in sorted(approval.session_id for approval in approvals):
            records.load_session(connection, session_id, lock=True)
        rows = []
        for approval in approvals:
            if action == "publish":
                rows.append(_publishable(ctx, connection, principal, approval, authorize,
                                         allow_secrets))
            else:
                rows.append(guards.editable(ctx, connection, principal, approval.session_id))
        if action == "publish":
            grouping.require_whole(ctx, connection, [row.id for row in rows])
        refusal = ctx.accounts.check_otp(connection, principal, otp) if authorize else None
        if refusal is None:
            settings = [ctx.projects.get(row.name, connection) for row in rows]
            if action == "cancel":
                decided = {row.id: _cancel(ctx, connection, principal, row) for row in rows}
            elif any(project.upstream_url for project in settings):
                # the whole batch waits for the promotions: all of it goes public, or none
                for row in rows:
                    _set_status(ctx, connection, row.id, "processing", None)
                promoting = list(zip(rows, settings, strict=True))
            else:
                decided = {row.id: _commit(ctx, connection, principal, row.id) for row in rows}
    if refusal is not None:
        raise refusal  # after the commit: the wrong code's count sticks, nothing else changed
    if action == "cancel":
        collect_garbage(ctx, [file.sha256 for view in decided.values() for file in view.files])
    if promoting:
        return _promote_batch(ctx, principal, promoting)
    return [decided[row.id] for row in rows]


def _publishable(ctx: Context, connection: Connection, principal: Principal,
                 approval: Approval, bound: bool, allow_secrets: bool) -> Any:
    """The locked session row, if it may be published as the approval says."""
    row = guards.editable(ctx, connection, principal, approval.session_id)
    files = records.live_files(connection, row.id)
    completed = {file.filename: file.sha256 for file in files if file.status == "completed"}
    if approval.digest is not None:
        if not is_digest(approval.digest):
            raise BadRequest("release-digest must be the 64 hex digits `hatch-stage view` shows",
                             errors=[{"source": "release-digest", "message": "malformed"}])
        if approval.digest != release_digest(completed):
            raise _changed(connection, row, approval.digest, completed)
    elif bound and ctx.settings.require_digest:
        raise DigestRequired(
            f"approving session {row.id} needs the release digest you reviewed: send "
            '"release-digest" (hatch-stage view shows it, hatch-stage approve sends it)',
            errors=[{"source": "release-digest", "message": "required"}])
    unfinished = [file for file in files if file.status != "completed"]
    if unfinished:
        raise FilesNotReady(
            "every file must be completed before the session can be published: "
            + "; ".join(f"{file.filename} is {file.status}"
                        + (f" ({file.reason})" if file.reason else "") for file in unfinished),
            errors=[{"source": file.filename,
                     "message": file.status + (f": {file.reason}" if file.reason else "")}
                    for file in unfinished])
    if not completed:
        # approving an empty stage would publish a version with nothing in it, for good
        raise Conflict("this session has no files: upload the release before publishing it")
    taken = [name for name in completed if records.released_row(connection, name) is not None]
    if taken:
        raise Conflict("some files of this session are already published",
                       errors=[{"source": name, "message": "already published"}
                               for name in taken])
    findings = [finding for file in files
                for finding in records.file_view(file, row.expires_at).findings]
    stopping = blocking(findings, allow_secrets=allow_secrets)
    if stopping:
        raise SecretsFound(
            f"the registry's scan found {_count(stopping)} that block publishing "
            f"({_where(stopping[0])}{' ...' if len(stopping) > 1 else ''}): look at them with "
            "`hatch-stage view`; if they are not secrets, approve with --allow-secrets",
            errors=[{"source": _where(finding), "message": finding.type} for finding in stopping])
    return row


def _count(findings: Sequence[Finding]) -> str:
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"


def _where(finding: Finding) -> str:
    line = f":{finding.line}" if finding.line else ""
    return f"{finding.artifact}:{finding.member}{line}"


def _changed(connection: Connection, row: Any, digest: str,
             completed: dict[str, str]) -> ChangedSinceReview:
    current = release_digest(completed)
    changes = history.changes_since(records.events(connection, row.id), digest, completed)
    again = (f"review it again (`hatch-stage view {row.id}`) and approve what you see; its "
             f"digest is now {current}")
    if changes is None:
        return ChangedSinceReview(
            f"the approved release digest {digest} is not one session {row.id} ever had; "
            + again, digest=current)
    named = ", ".join(f"{name} {change}" for name, change in changes)
    return ChangedSinceReview(
        f"the release changed since it was reviewed ({named}): " + again,
        errors=[{"source": name, "message": change} for name, change in changes],
        digest=current)


def _set_status(ctx: Context, connection: Connection, session_id: str, status: str,
                reason: str | None) -> None:
    connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id)
                       .values(status=status, reason=reason, updated_at=ctx.now()))


def _commit(ctx: Context, connection: Connection, principal: Principal,
            session_id: str) -> SessionView:
    row = records.fresh(connection, session_id)
    now = ctx.now()
    completed = connection.execute(select(schema.files).where(
        schema.files.c.session_id == session_id, schema.files.c.status == "completed")).all()
    for file in completed:
        connection.execute(insert(schema.released).values(
            filename=file.filename, project=row.project, version=row.version,
            sha256=file.sha256, size=file.size, attestations=file.attestations,
            provenance=file.provenance, session_id=session_id, published_at=now))
    _set_status(ctx, connection, session_id, "published", None)
    history.record(ctx, connection, session_id, principal, "published")
    notifications.emit(ctx, connection, "published", session_id, principal)
    return records.session_view(connection, records.fresh(connection, session_id), ctx.clock())


def _cancel(ctx: Context, connection: Connection, principal: Principal, row: Any) -> SessionView:
    _set_status(ctx, connection, row.id, "canceled", f"canceled by {principal.actor}")
    history.record(ctx, connection, row.id, principal, "canceled")
    notifications.emit(ctx, connection, "rejected", row.id, principal,
                       reason=f"canceled by {principal.actor}")
    return records.session_view(connection, records.fresh(connection, row.id), ctx.clock())


def _promote_batch(ctx: Context, principal: Principal,
                   batch: Sequence[tuple[Any, ProjectSettings]]) -> list[SessionView]:
    """Send every ``processing`` session of the batch that has an upstream there, in order,
    then publish the whole batch here in one transaction.

    On any failure at all (an upstream refusing or down, a file that cannot be read, a file
    name taken here meanwhile) every session of the batch moves to ``error`` with the reason
    (never left ``processing``) and nothing is public here; approving the batch again retries
    it. Files an upstream accepted before the failure stay there: the legacy upload API has
    no transaction.
    """
    for row, settings in batch:
        if not settings.upstream_url:
            continue
        with ctx.db.read() as connection:
            view = records.session_view(connection, records.fresh(connection, row.id),
                                        ctx.clock())
        try:
            promote(settings, view, ctx.blobs)
            continue
        except UpstreamFailed as failure:
            reason = f"promotion to {settings.upstream_url} failed: {failure}"
        except Exception as failure:  # anything at all: the batch must not stay processing
            log.exception("promotion of session %s failed", row.id)
            reason = (f"promotion to {settings.upstream_url} failed unexpectedly "
                      f"({type(failure).__name__}); publish again once the cause is fixed")
        _fail_batch(ctx, batch, row, reason)
        raise UpstreamFailed(_batch_reason(batch, row, reason),
                             errors=_batch_errors(batch, row, reason)) from None
    try:
        with ctx.db.write() as connection:
            return [_commit(ctx, connection, principal, row.id) for row, _settings in batch]
    except IntegrityError:
        # a legacy direct upload took one of the names while the files went upstream
        reason = "a file of this session was published by another upload meanwhile"
        _fail_batch(ctx, batch, None, reason)
        raise Conflict(_batch_reason(batch, None, reason)) from None


def _batch_reason(batch: Sequence[tuple[Any, ProjectSettings]], failed: Any,
                  reason: str) -> str:
    if len(batch) == 1:
        return reason
    which = f"{failed.name} {failed.version} (session {failed.id}): " if failed else ""
    return (f"{which}{reason}; none of the {len(batch)} sessions of this batch was published "
            "here (each is in error): fix the cause and approve the batch again")


def _batch_errors(batch: Sequence[tuple[Any, ProjectSettings]], failed: Any,
                  reason: str) -> list[dict[str, str]]:
    return [{"source": row.id,
             "message": reason if row is failed else "not published: the batch stopped"}
            for row, _settings in batch]


def _fail_batch(ctx: Context, batch: Sequence[tuple[Any, ProjectSettings]], failed: Any,
                reason: str) -> None:
    """Every session of the batch to ``error``: the one that failed with ``reason``, the
    others saying which one stopped them (``failed`` None: ``reason`` is everyone's)."""
    with ctx.db.write() as connection:
        for row, _settings in batch:
            own = reason
            if failed is not None and row is not failed:
                own = (f"not published: {failed.name} {failed.version} (session {failed.id}) "
                       f"of the same batch could not be promoted ({reason}); approve the batch "
                       "again once the cause is fixed")
            _set_status(ctx, connection, row.id, "error", own)
            history.record(ctx, connection, row.id, None, "error", reason=own)
            notifications.emit(ctx, connection, "promotion-failed", row.id, reason=own)
