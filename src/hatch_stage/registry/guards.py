"""The checks every use case starts with, over one open transaction: may this principal act
on this project, does the session exist, does it accept changes, is the file there.

State rules (PEP 694): a session is ``open``, ``processing``, ``published``, ``error`` or
``canceled``; only ``open`` and ``error`` accept changes; a session past ``expires-at``
counts as canceled whether or not the sweep has written that down.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from . import history, notifications, records, schema
from .context import Context
from .problems import Conflict, Forbidden, NotFound
from .projects import normalize
from .views import Principal


def covered(principal: Principal, name: str) -> str:
    """The normalized project name, if the principal's credentials cover it."""
    project = normalize(name)
    if not principal.covers(project):
        raise Forbidden(f"these credentials may not upload to {name}")
    return project


def session(connection: Connection, principal: Principal, session_id: str, *,
            lock: bool = False) -> Any:
    """The session row, if it exists and the principal covers its project."""
    row = records.load_session(connection, session_id, lock=lock)
    if row is None:
        raise NotFound(f"no session {session_id}")
    if not principal.covers(row.project):
        raise Forbidden(f"these credentials may not upload to {row.name}")
    return row


def editable(ctx: Context, connection: Connection, principal: Principal,
             session_id: str) -> Any:
    """The session row, locked, if it accepts changes (open or error, not expired)."""
    row = session(connection, principal, session_id, lock=True)
    if records.is_expired(row, ctx.clock()):
        raise Conflict(f"session {session_id} expired; create a new one")
    if row.status not in ("open", "error"):
        raise Conflict(f"session {session_id} is {row.status} and accepts no changes")
    return row


def file(connection: Connection, session_id: str, file_id: str) -> Any:
    row = records.load_file(connection, session_id, file_id)
    if row is None:
        raise NotFound(f"no file upload session {file_id} in session {session_id}")
    return row


def pending(connection: Connection, session_id: str, file_id: str) -> Any:
    row = file(connection, session_id, file_id)
    if row.status != "pending":
        raise Conflict(f"{row.filename} is {row.status}, not pending; to replace it, start "
                       "a new file upload session")
    return row


def touch(ctx: Context, connection: Connection, session_id: str) -> None:
    connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id)
                       .values(updated_at=ctx.now()))


def expire(ctx: Context, connection: Connection) -> int:
    """Write down that sessions past ``expires-at`` are canceled, each with its history event
    and ``expired`` notification; how many.

    The rows are locked and the condition checked again under the lock (PostgreSQL re-reads
    a row another transaction changed), so a session expires once whichever instance, or
    request, gets there first.
    """
    sessions = schema.sessions
    live = (sessions.c.status.in_(("open", "error")), sessions.c.expires_at <= ctx.now())
    expired = list(connection.execute(select(sessions.c.id).where(*live)
                                      .order_by(sessions.c.id).with_for_update()).scalars())
    if not expired:
        return 0
    connection.execute(update(sessions).where(sessions.c.id.in_(expired))
                       .values(status="canceled", reason=records.EXPIRED))
    for session_id in expired:
        history.record(ctx, connection, session_id, None, "canceled", reason=records.EXPIRED)
        notifications.emit(ctx, connection, "expired", session_id, reason=records.EXPIRED)
    return len(expired)
