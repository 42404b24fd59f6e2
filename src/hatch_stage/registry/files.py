"""File uploads into a session (PEP 694): start, receive the bytes, attest, complete, delete.

A file is ``pending`` from the start of its upload until it is completed. Completing checks
that verified bytes arrived and inspects them (:mod:`.inspecting`): a well-formed wheel or
sdist of the release becomes ``completed``, anything else ``error`` with the reason, and
publishing is refused until it is deleted. A completed file may be replaced by starting a new
upload of the same name. Every change lands in the session's history (:mod:`.history`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from . import attesting, guards, history, inspecting, notifications, records, schema
from .blobs import Readable
from .context import Context
from .housekeeping import collect_garbage
from .problems import BadRequest, Conflict, InvalidFile, Unprocessable
from .validation import check_filename, check_hashes
from .views import FileView, Principal

#: upload mechanisms this registry speaks (PEP 694 requires http-post-bytes)
MECHANISMS = ("http-post-bytes",)
#: file changes (added, replaced, removed, failed) a session may have per file it may hold,
#: so a session's history stays bounded too
CHANGES_PER_FILE = 10


def start(ctx: Context, principal: Principal, session_id: str, filename: str, size: Any,
          hashes: Any, mechanism: str = "http-post-bytes") -> FileView:
    """Begin a file upload session (PEP 694); the file is ``pending`` until completed."""
    if mechanism not in MECHANISMS:
        raise Unprocessable(f"upload mechanism {mechanism!r} is not supported; "
                            f"use one of {', '.join(MECHANISMS)}")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise BadRequest("size must be the file's size in bytes")
    if size > ctx.settings.max_file_size:
        raise Conflict(f"{filename} is {size} bytes; this registry accepts files up to "
                       f"{ctx.settings.max_file_size} bytes")
    checked = check_hashes(hashes)
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        check_filename(filename, row.project, row.version)
        file_id = put(ctx, connection, principal, row, filename, size, checked,
                      status="pending")
        view = records.file_view(guards.file(connection, row.id, file_id), row.expires_at)
    inspecting.refresh_report(ctx, session_id)  # a completed file it replaces has left
    return view


def put(ctx: Context, connection: Connection, principal: Principal, session: Any,
        filename: str, size: int, hashes: Mapping[str, str], *, status: str,
        attestations: tuple[str, str] | None = None, findings: str | None = None,
        replace_failed: bool = False) -> str:
    """Add a file row to an editable session, replacing a completed one of that name (and,
    with ``replace_failed``, one in error); returns the new file's id.

    :param attestations: verified attestations and their provenance record
        (:func:`.attesting.verified`)
    """
    if records.released_row(connection, filename) is not None:
        raise Conflict(f"{filename} is already published; published files cannot change")
    if records.reserved_elsewhere(connection, filename, session.id):
        raise Conflict(f"{filename} is being published by another session")
    current = connection.execute(select(schema.files).where(
        schema.files.c.session_id == session.id, schema.files.c.filename == filename,
        schema.files.c.status != "canceled")).first()
    _check_bounds(ctx, connection, session, filename, adds=current is None)
    if current is not None:
        replaceable = current.status == "completed" or (
            replace_failed and current.status == "error")
        if not replaceable:
            raise Conflict(f"{filename} is {current.status} in this session: delete it "
                           "first, then upload it again")
        connection.execute(update(schema.files).where(schema.files.c.id == current.id)
                           .values(status="canceled"))
        if status != "completed" or current.status != "completed":
            # the old file leaves the release now; a completed replacement says so itself
            history.record(ctx, connection, session.id, principal, "removed",
                           filename=filename, previous=current.sha256,
                           reason="a new upload of this file started")
    file_id = secrets.token_hex(16)
    connection.execute(insert(schema.files).values(
        id=file_id, session_id=session.id, filename=filename, size=size,
        hashes=json.dumps(dict(hashes)), sha256=hashes["sha256"], status=status,
        received=status == "completed", findings=findings, created_at=ctx.now(),
        attestations=attestations[0] if attestations else None,
        provenance=attestations[1] if attestations else None))
    if status == "completed":
        _completed(ctx, connection, principal, session.id, filename, hashes["sha256"])
    guards.touch(ctx, connection, session.id)
    return file_id


def _check_bounds(ctx: Context, connection: Connection, session: Any, filename: str, *,
                  adds: bool) -> None:
    """A session stays bounded (its document, its history) and a release has one sdist."""
    files, limit = schema.files, ctx.settings.max_session_files
    if adds:
        held = connection.execute(select(func.count()).select_from(files).where(
            files.c.session_id == session.id, files.c.status != "canceled")).scalar() or 0
        if held >= limit:
            raise Conflict(f"session {session.id} holds {held} files, the most this registry "
                           f"accepts (--max-session-files {limit}); delete some, or stage the "
                           "rest in another release")
    changes = connection.execute(select(func.count()).select_from(schema.events).where(
        schema.events.c.session_id == session.id,
        schema.events.c.filename.is_not(None))).scalar() or 0
    if changes >= CHANGES_PER_FILE * limit:
        raise Conflict(f"session {session.id} has had {changes} file changes, the most one "
                       "session may have; cancel it and stage the release anew")
    if filename.endswith(".tar.gz"):
        for published in connection.execute(select(schema.released.c.filename).where(
                schema.released.c.project == session.project,
                schema.released.c.filename.like("%.tar.gz"),
                schema.released.c.filename != filename)).scalars():
            if records.release_key(published) == session.version_key:
                raise Conflict(f"{session.name} {session.version} already has a published "
                               f"sdist, {published}: a release has one sdist")


def _completed(ctx: Context, connection: Connection, principal: Principal, session_id: str,
               filename: str, sha256: str) -> None:
    previous = history.last_completed(connection, session_id, filename)
    change = "added" if previous is None else "replaced"
    history.record(ctx, connection, session_id, principal, change, filename=filename,
                   sha256=sha256, previous=previous)
    notifications.emit(ctx, connection, "staged", session_id, principal, filename=filename,
                       sha256=sha256, change=change)


def get(ctx: Context, principal: Principal, session_id: str, file_id: str) -> FileView:
    """A file upload session's state (canceled ones included)."""
    with ctx.db.read() as connection:
        row = guards.session(connection, principal, session_id)
        return records.file_view(guards.file(connection, row.id, file_id), row.expires_at)


def receive(ctx: Context, principal: Principal, session_id: str, file_id: str,
            stream: Readable) -> FileView:
    """Stream a pending file's bytes into the blob store, checking size and hashes.

    Nothing is held in memory; a mismatch stores nothing and leaves the file pending, so
    the client may send the bytes again.
    """
    with ctx.db.read() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        pending = guards.pending(connection, row.id, file_id)
    ctx.blobs.receive(stream, expected=json.loads(pending.hashes), size=pending.size,
                      limit=ctx.settings.max_file_size)
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        guards.pending(connection, row.id, file_id)
        connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                           .values(received=True))
        guards.touch(ctx, connection, row.id)
        return records.file_view(guards.file(connection, row.id, file_id), row.expires_at)


def attest(ctx: Context, principal: Principal, session_id: str, file_id: str,
           attestations: Any) -> FileView:
    """Attach PEP 740 attestations to a pending file (before it is completed), once they
    verify against the project's trusted publishers for the file's name and declared sha256
    (the bytes must have that sha256 to be received at all)."""
    with ctx.db.read() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        pending = guards.pending(connection, row.id, file_id)
    text, provenance = attesting.verified(ctx, row.project, pending.filename, pending.sha256,
                                          attestations)
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        guards.pending(connection, row.id, file_id)
        connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                           .values(attestations=text, provenance=provenance))
        return records.file_view(guards.file(connection, row.id, file_id), row.expires_at)


def complete(ctx: Context, principal: Principal, session_id: str, file_id: str) -> FileView:
    """Accept a fully received file into the session once it passes inspection.

    A file without verified bytes, or one that is not a well-formed distribution of the
    release, moves to ``error`` with the reason (PEP 694: it must then be deleted and
    uploaded anew); the answer is then 409 or 422.
    """
    with ctx.db.read() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        current = guards.file(connection, row.id, file_id)
        if current.status == "completed":
            return records.file_view(current, row.expires_at)
        if current.status != "pending":
            raise Conflict(f"{current.filename} is {current.status}; it cannot be completed")
    if not current.received or not ctx.blobs.exists(current.sha256):
        _fail(ctx, principal, session_id, file_id, "no verified bytes were received for this file")
        raise Conflict(f"{current.filename}: no verified bytes were received for this file; "
                       "delete it and upload it again")
    # reading and scanning the file may take a while: no transaction is open meanwhile
    verdict = inspecting.inspect_file(ctx, current.filename, current.sha256, row.project,
                                      row.version)
    if verdict.reason is not None:
        _fail(ctx, principal, session_id, file_id, verdict.reason)
        raise InvalidFile(f"{current.filename} was refused: {verdict.reason}; delete it and "
                          "upload a corrected file",
                          errors=[{"source": current.filename, "message": problem}
                                  for problem in verdict.problems])
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        guards.pending(connection, row.id, file_id)
        connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                           .values(status="completed", findings=verdict.findings_json()))
        _completed(ctx, connection, principal, row.id, current.filename, current.sha256)
        guards.touch(ctx, connection, row.id)
        view = records.file_view(guards.file(connection, row.id, file_id), row.expires_at)
    inspecting.refresh_report(ctx, session_id)
    return view


def _fail(ctx: Context, principal: Principal, session_id: str, file_id: str,
          reason: str) -> None:
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        current = guards.pending(connection, row.id, file_id)
        connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                           .values(status="error", reason=reason))
        history.record(ctx, connection, row.id, principal, "failed", filename=current.filename,
                       sha256=current.sha256, reason=reason)
        guards.touch(ctx, connection, row.id)


def delete(ctx: Context, principal: Principal, session_id: str, file_id: str) -> None:
    """Cancel a pending upload or remove a file from the session."""
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        current = guards.file(connection, row.id, file_id)
        if current.status in ("processing", "canceled"):
            raise Conflict(f"{current.filename} is {current.status}; it cannot be deleted")
        connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                           .values(status="canceled"))
        reason = {"pending": "the upload was canceled",
                  "error": "the file had failed"}.get(current.status)
        history.record(ctx, connection, row.id, principal, "removed", filename=current.filename,
                       previous=current.sha256, reason=reason)
        guards.touch(ctx, connection, row.id)
    collect_garbage(ctx, [current.sha256])
    if current.status == "completed":
        inspecting.refresh_report(ctx, session_id)
