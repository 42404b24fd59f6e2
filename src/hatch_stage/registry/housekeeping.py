"""Housekeeping, at start and hourly: expired sessions, interrupted publishes, dead uploads,
orphan blobs, expired sign-ins to the review page."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from . import guards, history, schema, websessions
from .context import Context

#: why a session left ``processing`` by a killed server is in error
INTERRUPTED = "publishing was interrupted; publish again"


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
