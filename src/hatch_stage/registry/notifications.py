"""Notifications: what happened to a session, written to the outbox in the same transaction
as the change, for the webhooks that want it.

:func:`emit` never talks to the network: it inserts the notification (its JSON body fixed
now) and one pending delivery per webhook of the project that subscribed to the event. The
request that caused it commits and answers; a background worker (:mod:`.delivery`) sends the
deliveries later, whichever instance it runs on. A change that rolls back leaves no
notification, and a notification is never lost once its change is committed.

The body names the release and the session, never a secret: no token, no stage preview URL
(it is a capability), no finding's text.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Connection, insert, or_, select

from ..digest import release_digest
from . import records, schema
from .context import Context
from .views import Principal

#: every event a webhook can subscribe to, in the order a release meets them
EVENTS = ("staged", "validated", "published", "rejected", "expiring", "expired",
          "promotion-failed")
#: who caused what the registry does by itself (the sweeper, a failed promotion)
REGISTRY = "registry"


def _time(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def wanted(events: str, event: str) -> bool:
    """Whether a webhook's stored event list takes ``event``."""
    return events == "*" or event in events.split()


def _listeners(connection: Connection, project: str, event: str) -> list[int]:
    """The ids of the webhooks that want ``event`` about ``project``."""
    hooks = schema.webhooks
    return [hook.id for hook in connection.execute(
        select(hooks.c.id, hooks.c.events).where(
            or_(hooks.c.project == project, hooks.c.project == "*")))
        if wanted(hook.events, event)]


def listened(connection: Connection, project: str, event: str) -> bool:
    """Whether any webhook wants ``event`` about ``project`` (to skip building details)."""
    return bool(_listeners(connection, project, event))


def emit(ctx: Context, connection: Connection, event: str, session_id: str,
         by: Principal | None = None, **details: Any) -> None:
    """Queue ``event`` about a session for every webhook that wants it, inside the caller's
    transaction. ``details`` are event-specific members of the body."""
    assert event in EVENTS, event
    row = records.fresh(connection, session_id)
    hooks = _listeners(connection, row.project, event)
    if not hooks:
        return
    now = ctx.now()
    files = [file for file in records.live_files(connection, row.id)
             if file.status == "completed"]
    base = ctx.settings.public_url
    body = {
        "event": event,
        "at": _time(now),
        "registry": base,
        "project": row.name,
        "version": row.version,
        "session": {
            "id": row.id, "status": row.status, "expires-at": _time(row.expires_at),
            "opened-by": row.actor, "url": f"{base}/upload/2.0/sessions/{row.id}"
            if base else None},
        "release-digest": release_digest({file.filename: file.sha256 for file in files}),
        "files": [{"filename": file.filename, "sha256": file.sha256, "size": file.size}
                  for file in files],
        "actor": by.actor if by is not None else REGISTRY,
        "actor-type": by.kind if by is not None else REGISTRY,
        **details,
    }
    created = connection.execute(insert(schema.notifications).values(
        event=event, project=row.project, session_id=row.id,
        body=json.dumps(body, sort_keys=True), created_at=now))
    notification_id = created.inserted_primary_key[0] if created.inserted_primary_key else None
    connection.execute(insert(schema.deliveries), [
        {"id": str(uuid.uuid4()), "notification_id": notification_id, "webhook_id": hook,
         "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
        for hook in hooks])
