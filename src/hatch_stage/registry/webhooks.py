"""Per-project webhooks (``hatch-stage admin webhook add|list|remove|deliveries``).

A webhook is a URL that gets the project's notifications (:mod:`.notifications`) as signed
JSON POSTs: HTTPS, or plain HTTP only on this machine's loopback (the rule every URL a
secret goes to follows, :func:`hatch_stage.urls.safe_url`). Its signing secret is made here
(or given), shown once, and kept sealed at rest like the other secrets the registry must read
back (:mod:`.sealing`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from ..errors import ConfigError
from ..urls import safe_url
from . import schema
from .context import Context
from .notifications import EVENTS
from .problems import BadRequest, NotFound
from .projects import normalize

#: the shortest signing secret accepted
MIN_SECRET = 16


@dataclass(frozen=True)
class Webhook:
    """Where a project's notifications go (never its secret)."""

    id: int
    #: a normalized project name, or "*" for every project
    project: str
    url: str
    #: the events it gets ("*": all of them)
    events: tuple[str, ...]
    created_at: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "project": self.project, "url": self.url,
                "events": list(self.events), "created_at": self.created_at}


@dataclass(frozen=True)
class Attempt:
    """One try at sending a delivery."""

    attempt: int
    at: int
    #: the receiver's HTTP status; None when no answer came
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    """One notification to one webhook, with every attempt."""

    id: str
    webhook_id: int
    event: str
    session_id: str | None
    #: pending, delivered, failed (out of attempts) or canceled (the webhook was removed)
    status: str
    next_attempt_at: int | None
    created_at: int
    attempts: tuple[Attempt, ...]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "webhook": self.webhook_id, "event": self.event,
                "session": self.session_id, "status": self.status,
                "next_attempt_at": self.next_attempt_at, "created_at": self.created_at,
                "attempts": [vars(attempt) for attempt in self.attempts]}


def check_url(url: str) -> str:
    """``url`` if notifications may go there; :class:`BadRequest` naming the problem."""
    try:
        safe_url(url, "webhook", "put a shared secret in --secret-stdin instead")
    except ConfigError as error:
        raise BadRequest(str(error)) from None
    return url.strip()


def _events(events: list[str] | None) -> str:
    if not events or "*" in events:
        return "*"
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise BadRequest(f"unknown event(s) {', '.join(unknown)}; the events are "
                         f"{', '.join(EVENTS)}")
    return " ".join(event for event in EVENTS if event in events)


def _webhook(row: Any) -> Webhook:
    events = tuple(EVENTS) if row.events == "*" else tuple(row.events.split())
    return Webhook(row.id, row.project, row.url, events, row.created_at)


def add(ctx: Context, project: str, url: str, events: list[str] | None = None,
        secret: str | None = None) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (made here unless given; shown once)."""
    name = "*" if project == "*" else normalize(project)
    if secret is not None and len(secret) < MIN_SECRET:
        raise BadRequest(f"a webhook secret must be at least {MIN_SECRET} characters")
    secret = secret or secrets.token_urlsafe(32)
    with ctx.db.write() as connection:
        created = connection.execute(insert(schema.webhooks).values(
            project=name, url=check_url(url), secret=ctx.sealer.seal(secret),
            events=_events(events), created_at=ctx.now()))
        webhook_id = created.inserted_primary_key[0] if created.inserted_primary_key else 0
        row = connection.execute(select(schema.webhooks)
                                 .where(schema.webhooks.c.id == webhook_id)).one()
    return _webhook(row), secret


def listing(ctx: Context, project: str | None = None) -> list[Webhook]:
    query = select(schema.webhooks).order_by(schema.webhooks.c.id)
    if project is not None:
        query = query.where(schema.webhooks.c.project == ("*" if project == "*"
                                                          else normalize(project)))
    with ctx.db.read() as connection:
        return [_webhook(row) for row in connection.execute(query)]


def remove(ctx: Context, webhook_id: int) -> None:
    """Remove a webhook; its pending deliveries are canceled, its log kept."""
    with ctx.db.write() as connection:
        gone = connection.execute(delete(schema.webhooks)
                                  .where(schema.webhooks.c.id == webhook_id))
        if gone.rowcount != 1:
            raise NotFound(f"no webhook with id {webhook_id}")
        connection.execute(update(schema.deliveries).where(
            schema.deliveries.c.webhook_id == webhook_id,
            schema.deliveries.c.status == "pending").values(status="canceled",
                                                             finished_at=ctx.now()))


def deliveries(ctx: Context, webhook_id: int | None = None, limit: int = 50) -> list[Delivery]:
    """The delivery log, newest first, with every attempt."""
    table, notes, tries = schema.deliveries, schema.notifications, schema.attempts
    query = (select(table, notes.c.event, notes.c.session_id)
             .join(notes, notes.c.id == table.c.notification_id)
             .order_by(table.c.created_at.desc(), notes.c.id.desc()).limit(max(1, limit)))
    if webhook_id is not None:
        query = query.where(table.c.webhook_id == webhook_id)
    with ctx.db.read() as connection:
        rows = list(connection.execute(query))
        logged: dict[str, list[Attempt]] = {row.id: [] for row in rows}
        for attempt in connection.execute(select(tries).where(
                tries.c.delivery_id.in_(list(logged))).order_by(tries.c.id)):
            logged[attempt.delivery_id].append(Attempt(
                attempt.attempt, attempt.at, attempt.status_code, attempt.error,
                attempt.duration_ms))
    return [Delivery(row.id, row.webhook_id, row.event, row.session_id, row.status,
                     row.next_attempt_at if row.status == "pending" else None, row.created_at,
                     tuple(logged[row.id])) for row in rows]
