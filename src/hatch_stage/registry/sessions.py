"""Publishing sessions (PEP 694): opening one, reading one, listing them, extending one.

One live session per release (project and canonical version); the database's partial
unique index enforces it across instances.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from packaging.utils import canonicalize_version
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import guards, history, records, schema
from .context import Context
from .problems import BadRequest, Conflict
from .projects import normalize
from .validation import parse_version
from .views import Principal, SessionView

#: session states a listing may filter on
STATES = ("open", "processing", "published", "error", "canceled")


def create(ctx: Context, principal: Principal, name: str, version: str) -> SessionView:
    """Open a session for ``name`` ``version``; :class:`Conflict` (with the live session's
    id as location) when one is already open."""
    project = guards.covered(principal, name)
    key = canonicalize_version(parse_version(version))
    try:
        with ctx.db.write() as connection:
            row = open_session(ctx, connection, principal, name, version)
            return records.session_view(connection, row, ctx.clock())
    except IntegrityError:
        pass  # another request opened it in the meantime
    with ctx.db.read() as connection:
        live = records.live_session(connection, project, key)
    raise Conflict(f"a session for {name} {version} is already open",
                   location=live.id if live is not None else None)


def open_session(ctx: Context, connection: Connection, principal: Principal, name: str,
                 version: str) -> Any:
    """Insert a new open session inside ``connection``'s transaction; the row."""
    guards.expire(ctx, connection)
    project = ctx.projects.ensure(connection, name)
    parsed = parse_version(version)
    version, key = str(parsed), canonicalize_version(parsed)  # stored normalized
    live = records.live_session(connection, project, key)
    if live is not None:
        raise Conflict(f"a session for {name} {version} is already {live.status}",
                       location=live.id)
    now = ctx.now()
    session_id = str(uuid.uuid4())
    connection.execute(insert(schema.sessions).values(
        id=session_id, token=secrets.token_urlsafe(32), project=project, name=name,
        version=version, version_key=key, status="open", actor=principal.actor,
        actor_type=principal.kind, created_at=now, created_us=int(ctx.clock() * 1_000_000),
        updated_at=now,
        expires_at=now + ctx.settings.session_lifetime))
    history.record(ctx, connection, session_id, principal, "created")
    return records.fresh(connection, session_id)


def get(ctx: Context, principal: Principal, session_id: str) -> SessionView:
    """The session's current state."""
    with ctx.db.read() as connection:
        row = guards.session(connection, principal, session_id)
        return records.session_view(connection, row, ctx.clock())


def listing(ctx: Context, principal: Principal, *, project: str | None = None,
            status: str | None = None, page: int = 0,
            per_page: int = 100) -> tuple[list[SessionView], int]:
    """Sessions the principal may see, newest first: one page and the total count."""
    table = schema.sessions
    conditions = []
    if project:
        conditions.append(table.c.project == normalize(project))
    if "*" not in principal.projects:
        conditions.append(table.c.project.in_(sorted(principal.projects)))
    now = ctx.now()
    if status is not None:
        if status not in STATES:
            raise BadRequest(f"status must be one of {', '.join(STATES)}")
        conditions.append(table.c.status == status)
        if status in ("open", "error"):  # expired ones count as canceled
            conditions.append(table.c.expires_at > now)
    per_page = max(1, min(per_page, 100))
    with ctx.db.read() as connection:
        total = connection.execute(select(func.count()).select_from(table)
                                   .where(*conditions)).scalar() or 0
        rows = connection.execute(select(table).where(*conditions)
                                  .order_by(table.c.created_us.desc(), table.c.id)
                                  .offset(max(page, 0) * per_page).limit(per_page))
        views = [records.session_view(connection, row, now) for row in rows]
    if status == "canceled":  # the sweep may not have caught up with expired ones
        views = [view for view in views if view.status == "canceled"]
    return views, int(total)


def extend(ctx: Context, principal: Principal, session_id: str, seconds: Any) -> SessionView:
    """Move ``expires-at`` later (never earlier, never past the maximum lifetime)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise BadRequest("extend-for must be a positive number of seconds")
    with ctx.db.write() as connection:
        row = guards.editable(ctx, connection, principal, session_id)
        limit = row.created_at + ctx.settings.max_lifetime
        expires = max(row.expires_at, min(ctx.now() + seconds, limit))
        connection.execute(update(schema.sessions).where(schema.sessions.c.id == row.id)
                           .values(expires_at=expires))
        return records.session_view(connection, records.fresh(connection, row.id), ctx.clock())
