"""Publishing (approve) and canceling (reject) a session: the maintainer's side.

Both need a maintain token and a fresh one-time password (checked by
:meth:`~.accounts.Accounts.check_otp`) once the session is known to be in a state that allows
them, so a refused request does not burn the user's code. Publishing inserts every file into
the live index in one transaction; with promotion configured the session is ``processing``
while the files go upstream, and ends ``published`` or, if the upstream refused, ``error``
with the reason and nothing public.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import records, schema
from .problems import BadRequest, Conflict, Problem, UpstreamFailed
from .views import Principal, SessionView

if TYPE_CHECKING:
    from .service import Registry


def _publishable(registry: Registry, connection: Connection, principal: Principal,
                 session_id: str) -> Any:
    row = registry._editable(connection, principal, session_id)
    unfinished = connection.execute(select(schema.files).where(
        schema.files.c.session_id == row.id,
        schema.files.c.status.notin_(("completed", "canceled")))).all()
    if unfinished:
        raise Conflict(
            "every file must be completed before the session can be published",
            errors=[{"source": file.filename, "message": file.status} for file in unfinished])
    completed = connection.execute(select(schema.files.c.id).where(
        schema.files.c.session_id == row.id, schema.files.c.status == "completed")).first()
    if completed is None:
        # approving an empty stage would publish a version with nothing in it, for good
        raise Conflict("this session has no files: upload the release before publishing it")
    taken = connection.execute(
        select(schema.released.c.filename)
        .join(schema.files, schema.files.c.filename == schema.released.c.filename)
        .where(schema.files.c.session_id == row.id, schema.files.c.status == "completed")).all()
    if taken:
        raise Conflict("some files of this session are already published",
                       errors=[{"source": name, "message": "already published"}
                               for (name,) in taken])
    return row


def publish(registry: Registry, principal: Principal, session_id: str,
            otp: str | None) -> SessionView:
    """Make the session's files public, atomically (PEP 694 publish)."""
    registry.accounts.require_maintainer(principal)
    with registry.db.read() as connection:
        _publishable(registry, connection, principal, session_id)
    registry.accounts.check_otp(principal, otp)
    return release(registry, principal, session_id)


def release(registry: Registry, principal: Principal, session_id: str) -> SessionView:
    """Publish without the OTP step (the caller has authorized it)."""
    with registry.db.write() as connection:
        row = _publishable(registry, connection, principal, session_id)
        settings = registry.projects.get(row.name, connection)
        if not settings.upstream_url:
            return _commit(registry, connection, row.id)
        connection.execute(update(schema.sessions).where(schema.sessions.c.id == row.id)
                           .values(status="processing", reason=None,
                                   updated_at=registry.now()))
        view = records.session_view(connection, row, registry.clock())
    from .promotion import promote

    try:
        promote(settings, view, registry.blobs)
    except UpstreamFailed as failure:
        _fail(registry, row.id, f"promotion to {settings.upstream_url} failed: {failure}")
        raise
    try:
        with registry.db.write() as connection:
            return _commit(registry, connection, row.id)
    except IntegrityError:
        # a legacy direct upload took one of the names while the files went upstream
        _fail(registry, row.id, "a file of this session was published by another upload")
        raise Conflict("a file of this session was published by another upload meanwhile"
                       ) from None


def _commit(registry: Registry, connection: Connection, session_id: str) -> SessionView:
    row = records.fresh(connection, session_id)
    now = registry.now()
    completed = connection.execute(select(schema.files).where(
        schema.files.c.session_id == session_id, schema.files.c.status == "completed")).all()
    for file in completed:
        connection.execute(insert(schema.released).values(
            filename=file.filename, project=row.project, version=row.version,
            sha256=file.sha256, size=file.size, attestations=file.attestations,
            session_id=session_id, published_at=now))
    connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id)
                       .values(status="published", reason=None, updated_at=now))
    return records.session_view(connection, records.fresh(connection, session_id),
                                registry.clock())


def _fail(registry: Registry, session_id: str, reason: str) -> None:
    with registry.db.write() as connection:
        connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id)
                           .values(status="error", reason=reason, updated_at=registry.now()))


def cancel(registry: Registry, principal: Principal, session_id: str,
           otp: str | None) -> SessionView:
    """Discard the session and its files (PEP 694 cancel)."""
    registry.accounts.require_maintainer(principal)
    with registry.db.read() as connection:
        registry._editable(connection, principal, session_id)
    registry.accounts.check_otp(principal, otp)
    return discard(registry, principal, session_id)


#: most sessions one batch decision may name
MAX_BATCH = 100


def decide_many(registry: Registry, principal: Principal, action: str,
                session_ids: list[str], otp: str | None,
                ) -> tuple[list[SessionView], tuple[str, Problem] | None]:
    """Publish or cancel several sessions under one one-time password (index-specific).

    A maintainer reviewing a batch types one code, as pnpm approves several staged versions
    at once; the code is still spent once, on this one request. Every session is checked
    before the code is, so a refused batch burns nothing. Sessions are then decided in order;
    the first failure stops the batch and is returned with the sessions already decided.
    """
    if action not in ("publish", "cancel"):
        raise BadRequest("action must be publish or cancel")
    if not session_ids or len(session_ids) > MAX_BATCH or len(set(session_ids)) != len(session_ids):
        raise BadRequest(f"name from 1 to {MAX_BATCH} different sessions")
    registry.accounts.require_maintainer(principal)
    check = _publishable if action == "publish" else _editable
    with registry.db.read() as connection:
        for session_id in session_ids:
            check(registry, connection, principal, session_id)
    registry.accounts.check_otp(principal, otp)
    decided: list[SessionView] = []
    for session_id in session_ids:
        try:
            if action == "publish":
                decided.append(release(registry, principal, session_id))
            else:
                decided.append(discard(registry, principal, session_id))
        except Problem as problem:
            return decided, (session_id, problem)
    return decided, None


def _editable(registry: Registry, connection: Connection, principal: Principal,
              session_id: str) -> Any:
    return registry._editable(connection, principal, session_id)


def discard(registry: Registry, principal: Principal, session_id: str) -> SessionView:
    """Cancel without the OTP step (the caller has authorized it)."""
    with registry.db.write() as connection:
        row = registry._editable(connection, principal, session_id)
        connection.execute(update(schema.sessions).where(schema.sessions.c.id == row.id)
                           .values(status="canceled", reason=f"canceled by {principal.actor}",
                                   updated_at=registry.now()))
        view = records.session_view(connection, records.fresh(connection, row.id),
                                    registry.clock())
    registry.collect_garbage([file.sha256 for file in view.files])
    return view
