"""Housekeeping: every minute the sweep (sessions past ``expires-at`` canceled, an
``expiring`` notification for those close to it); at start and hourly the rest (interrupted
publishes, dead uploads, orphan blobs, expired sign-ins to the review page).

Each step changes rows with conditional updates under row locks, so running it on several
instances at once does every change, and sends every notification, once; the background
worker (:mod:`.worker`) also holds a lease so only one instance spends the work.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, or_, select, update

from . import guards, history, notifications, schema, websessions
from .context import Context

#: why a session left ``processing`` by a killed server is in error
INTERRUPTED = "publishing was interrupted; publish again"


def sweep(ctx: Context) -> dict[str, int]:
    """Cancel sessions past ``expires-at`` (``expired``) and warn about those that will be
    within ``expiry_warning`` seconds (``expiring``, once per ``expires-at``)."""
    with ctx.db.write() as connection:
        expired = guards.expire(ctx, connection)
        expiring = _warn_expiring(ctx, connection)
    return {"expired": expired, "expiring": expiring}


def _warn_expiring(ctx: Context, connection: Connection) -> int:
    sessions, now = schema.sessions, ctx.now()
    due = list(connection.execute(
        select(sessions.c.id, sessions.c.expires_at)
        .where(sessions.c.status.in_(("open", "error")), sessions.c.expires_at > now,
               sessions.c.expires_at <= now + ctx.settings.expiry_warning,
               or_(sessions.c.warned_expires_at.is_(None),
                   sessions.c.warned_expires_at != sessions.c.expires_at))
        .order_by(sessions.c.id).with_for_update()))
    for row in due:
        connection.execute(update(sessions).where(sessions.c.id == row.id)
                           .values(warned_expires_at=row.expires_at))
        notifications.emit(ctx, connection, "expiring", row.id,
                           **{"expires-in": row.expires_at - now})
    return len(due)


def maintenance(ctx: Context) -> dict[str, int]:
    """Expire old sessions, fail interrupted publishes, sweep dead uploads and blobs."""
    sessions = schema.sessions
    with ctx.db.write() as connection:
        guards.expire(ctx, connection)
        stuck = [row.id for row in connection.execute(
            select(sessions.c.id).where(
                sessions.c.status == "processing",
                sessions.c.updated_at < ctx.now() - ctx.settings.processing_timeout)
            .with_for_update())]
        if stuck:
            connection.execute(update(sessions).where(sessions.c.id.in_(stuck))
                               .values(status="error", reason=INTERRUPTED))
        for session_id in stuck:
            history.record(ctx, connection, session_id, None, "error", reason=INTERRUPTED)
            notifications.emit(ctx, connection, "promotion-failed", session_id,
                               reason=INTERRUPTED)
    return {"interrupted": len(stuck), "temporary": ctx.blobs.sweep_tmp(),
            "blobs": collect_garbage(ctx), "sign-ins": websessions.sweep(ctx)}


def collect_garbage(ctx: Context, digests: Iterable[str] | None = None) -> int:
    """Delete blobs no live or published file refers to (older than the grace period)."""
    candidates = set(ctx.blobs.digests() if digests is None else digests)
    if not candidates:
        return 0
    files, sessions = schema.files, schema.sessions
    with ctx.db.read() as connection:
        staged = connection.execute(
            select(files.c.sha256).join(sessions, sessions.c.id == files.c.session_id)
            .where(files.c.status != "canceled", sessions.c.status != "canceled",
                   files.c.sha256.in_(sorted(candidates))))
        published = connection.execute(select(schema.released.c.sha256)
                                        .where(schema.released.c.sha256.in_(sorted(candidates))))
        referenced = {row[0] for row in staged} | {row[0] for row in published}
    cutoff = ctx.clock() - ctx.settings.gc_grace
    return sum(ctx.blobs.remove(digest, older_than=cutoff) for digest in candidates - referenced)
