"""Leases: background work that one instance does at a time (the sweep, maintenance).

A lease is a row naming its holder and when it lapses, taken by a conditional update, so it
works alike on SQLite and PostgreSQL and needs no connection held open. A holder that dies
loses it when it lapses; a live one renews it each time it works.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import schema
from .context import Context


def take(ctx: Context, name: str, holder: str, seconds: int) -> bool:
    """Whether ``holder`` now holds the lease ``name`` for ``seconds`` (taken if free or
    lapsed, renewed if already its own)."""
    leases, now = schema.leases, ctx.now()
    # IntegrityError: another instance inserted it first
    with contextlib.suppress(IntegrityError), ctx.db.write() as connection:
        if connection.execute(select(leases.c.name).where(leases.c.name == name)
                              ).first() is None:
            connection.execute(insert(leases).values(name=name, holder=holder,
                                                     expires_at=now + seconds))
            return True
    with ctx.db.write() as connection:
        taken = connection.execute(
            update(leases)
            .where(leases.c.name == name,
                   or_(leases.c.holder == holder, leases.c.expires_at <= now))
            .values(holder=holder, expires_at=now + seconds))
        return taken.rowcount == 1
