"""Sending webhook deliveries: claim the due ones, POST them signed, log every attempt,
retry with backoff.

A worker claims a batch of due deliveries in one transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's write lock serializes it), marking each with its name and a claim that
outlives the longest attempt, so of several instances exactly one sends each delivery, and a
worker that dies mid-send only delays it until its claim lapses (the receiver may then get it
twice: the delivery id, the same on every attempt, lets it tell). The answer is written back
only by the worker that holds the claim.

Each POST carries the notification's JSON body exactly as written in the outbox and:

- ``X-Hatch-Stage-Signature-256: sha256=<hex>``: HMAC-SHA256 of the body with the webhook's
  secret (as GitHub signs its webhooks, so the same receivers verify it);
- ``X-Hatch-Stage-Delivery``: the delivery id; ``X-Hatch-Stage-Event``: the event.

Any 2xx answer delivers it. Anything else (another status, a redirect, a timeout, a refused
connection) is retried after ``webhook_backoff`` seconds, doubling (at most an hour), until
``webhook_attempts`` attempts were made; then the delivery is ``failed``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import httpx2
from sqlalchemy import insert, or_, select, update

from .. import __version__
from . import schema
from .context import Context

#: the longest wait between two attempts
MAX_BACKOFF = 3600.0
SIGNATURE_HEADER = "X-Hatch-Stage-Signature-256"
DELIVERY_HEADER = "X-Hatch-Stage-Delivery"
EVENT_HEADER = "X-Hatch-Stage-Event"


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds: what to send where."""

    id: str
    attempt: int
    url: str
    secret: str
    event: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What one attempt got back."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def claim(ctx: Context, holder: str, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for ``holder``, oldest first."""
    table, notes, hooks = schema.deliveries, schema.notifications, schema.webhooks
    now = ctx.now()
    lease = int(ctx.settings.webhook_timeout * 2) + 60
    with ctx.db.write() as connection:
        due = (select(table.c.id)
               .where(table.c.status == "pending", table.c.next_attempt_at <= now,
                      or_(table.c.claimed_until.is_(None), table.c.claimed_until < now))
               .order_by(table.c.next_attempt_at, table.c.id).limit(limit)
               .with_for_update(skip_locked=True))
        ids = list(connection.execute(due).scalars())
        if not ids:
            return []
        connection.execute(update(table).where(table.c.id.in_(ids))
                           .values(claimed_by=holder, claimed_until=now + lease))
        rows = connection.execute(
            select(table.c.id, table.c.attempts, hooks.c.url, hooks.c.secret, notes.c.event,
                   notes.c.body)
            .join(notes, notes.c.id == table.c.notification_id)
            .join(hooks, hooks.c.id == table.c.webhook_id)
            .where(table.c.id.in_(ids)).order_by(table.c.next_attempt_at, table.c.id))
        return [Claimed(row.id, row.attempts + 1, row.url,
                        ctx.sealer.open(row.secret, "a webhook secret"), row.event,
                        row.body.encode()) for row in rows]


def send(client: httpx2.Client, item: Claimed, timeout: float) -> Outcome:
    """One attempt: POST the signed body, never following a redirect."""
    headers = {"Content-Type": "application/json",
               "User-Agent": f"hatch-stage-webhook/{__version__}",
               EVENT_HEADER: item.event, DELIVERY_HEADER: item.id,
               SIGNATURE_HEADER: signature(item.secret, item.body)}
    started = time.monotonic()
    code: int | None = None
    error: str | None = None
    try:
        response = client.post(item.url, content=item.body, headers=headers,
                               timeout=httpx2.Timeout(timeout), follow_redirects=False)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"answered {code} {response.reason_phrase}".strip()
    except httpx2.HTTPError as failure:
        error = f"{type(failure).__name__}: no answer within {timeout:g} s" \
            if isinstance(failure, httpx2.TimeoutException) else type(failure).__name__
    return Outcome(code, error, int((time.monotonic() - started) * 1000))


def record(ctx: Context, holder: str, item: Claimed, outcome: Outcome) -> None:
    """Log the attempt and decide what comes next, if this worker still holds the claim."""
    table, settings, now = schema.deliveries, ctx.settings, ctx.now()
    with ctx.db.write() as connection:
        held = connection.execute(select(table.c.id).where(
            table.c.id == item.id, table.c.claimed_by == holder,
            table.c.status == "pending").with_for_update()).first()
        if held is None:  # the claim lapsed and another worker took it, or it was canceled
            return
        connection.execute(insert(schema.attempts).values(
            delivery_id=item.id, attempt=item.attempt, at=now,
            status_code=outcome.status_code, error=outcome.error,
            duration_ms=outcome.duration_ms))
        changes: dict[str, Any] = {"attempts": item.attempt, "claimed_by": None,
                                   "claimed_until": None}
        if outcome.delivered:
            changes.update(status="delivered", finished_at=now)
        elif item.attempt >= settings.webhook_attempts:
            changes.update(status="failed", finished_at=now)
        else:
            wait = min(settings.webhook_backoff * 2 ** (item.attempt - 1), MAX_BACKOFF)
            changes.update(next_attempt_at=now + max(1, round(wait)))
        connection.execute(update(table).where(table.c.id == item.id).values(**changes))


def attempt(ctx: Context, client: httpx2.Client, holder: str, item: Claimed) -> None:
    """Send a claimed delivery once and log what happened."""
    record(ctx, holder, item, send(client, item, ctx.settings.webhook_timeout))
