"""A session's history: every file added, replaced, removed or failed, and every decision,
with who did it and when.

The history is what lets a reviewer see that the release changed hands (a session keeps
naming the actor who opened it, whoever uploads to it later), and what lets the registry name
each change when an approval's release digest is out of date: replaying the file events gives
every state the release has been in, and so the state the approver reviewed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, insert, select

from ..digest import changes, release_digest
from . import schema
from .context import Context
from .views import Event, Principal

#: the actor of what the registry does by itself (promotion failures, the sweep)
REGISTRY = "registry"


def record(ctx: Context, connection: Connection, session_id: str, by: Principal | None,
           event: str, *, filename: str | None = None, sha256: str | None = None,
           previous: str | None = None, reason: str | None = None) -> None:
    """Add one event to the session's history, inside the transaction that made it happen."""
    connection.execute(insert(schema.events).values(
        session_id=session_id, at=ctx.now(), event=event,
        actor=by.actor if by is not None else REGISTRY,
        actor_type=by.kind if by is not None else REGISTRY,
        filename=filename, sha256=sha256, previous_sha256=previous, reason=reason))


def last_completed(connection: Connection, session_id: str, filename: str) -> str | None:
    """The sha256 a file of this name had when it was last completed in this session, if it
    ever was (so a new completion replaces bytes a reviewer may have seen)."""
    events = schema.events
    return connection.execute(
        select(events.c.sha256).where(events.c.session_id == session_id,
                                      events.c.filename == filename,
                                      events.c.event.in_(("added", "replaced")))
        .order_by(events.c.id.desc()).limit(1)).scalar()


def states(history: Sequence[Event]) -> Iterator[dict[str, str]]:
    """Every set of completed files (``{filename: sha256}``) the release has had, oldest first,
    starting with the empty one."""
    current: dict[str, str] = {}
    yield dict(current)
    for event in history:
        if event.filename is None:
            continue
        if event.event in ("added", "replaced") and event.sha256:
            current[event.filename] = event.sha256
        elif event.event == "removed":
            current.pop(event.filename, None)
        else:
            continue
        yield dict(current)


def changes_since(history: Sequence[Event], digest: str,
                  now: dict[str, str]) -> list[tuple[str, str]] | None:
    """What changed between the latest state with ``digest`` and ``now``: ``(filename,
    "added" | "replaced" | "removed")``; None when the release never had that digest."""
    reviewed = None
    for state in states(history):
        if release_digest(state) == digest:
            reviewed = state
    return None if reviewed is None else changes(reviewed, now)
