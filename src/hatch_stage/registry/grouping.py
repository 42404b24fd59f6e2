"""Groups of sessions (index-specific): the releases of a workspace staged together, to be
reviewed and decided together in the order they were staged in (dependency order).

``hatch-stage publish --workspace`` stages each member as a session of its own and then
records the sessions, in order, as one group, so a maintainer on any machine sees the group
in ``list``, reads it with ``view`` and approves it by its id. A group only names sessions:
deciding them is the batch decision of :mod:`.publishing`, atomic on this registry.

A group goes live as a whole: a session of a group is published only together with every
other member that still awaits a decision (:func:`require_whole`), whichever way the approval
comes (a batch, PEP 694 publish of one session, the review page), so an ``app`` never goes
live before the ``core`` it pins. Members already published or rejected do not count: after
rejecting one, the rest can still be approved together.

A session belongs to at most one group. Grouping sessions again (a rerun of an interrupted
workspace release) returns the existing group when it is exactly the same sessions in the
same order; otherwise the sessions move to the new group, and a group left with no session
is removed. Only sessions that await a decision can be grouped, and a principal sees a group
only when its credentials cover every session in it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from . import guards, records, schema
from .context import Context
from .problems import BadRequest, Conflict, NotFound
from .views import GroupView, Principal

#: every group id starts with this, so it is never mistaken for a session id
PREFIX = "group-"
#: what the group ids this registry hands out look like (anything else names nothing)
GROUP_ID = re.compile(r"group-[0-9a-f]{32}")
#: most sessions in one group (the most one batch decision may name)
MAX_SESSIONS = 100
#: the statuses a listing may filter on: ``open`` means a session still awaits a decision
FILTERS = ("open",)


def _ids(session_ids: Any) -> list[str]:
    if (not isinstance(session_ids, list) or not session_ids
            or not all(isinstance(item, str) and item for item in session_ids)):
        raise BadRequest("sessions must be a list of session ids, in the order to decide them")
    if len(session_ids) > MAX_SESSIONS or len(set(session_ids)) != len(session_ids):
        raise BadRequest(f"a group holds from 1 to {MAX_SESSIONS} different sessions")
    return list(session_ids)


def _members(connection: Connection, group_id: str) -> list[str]:
    """The group's session ids, in order."""
    table = schema.group_members
    return list(connection.execute(select(table.c.session_id).where(table.c.group_id == group_id)
                                   .order_by(table.c.position)).scalars())


def create(ctx: Context, principal: Principal, session_ids: Any) -> tuple[GroupView, bool]:
    """Group ``session_ids`` in this order; the group, and whether it is new."""
    ids = _ids(session_ids)
    with ctx.db.write() as connection:
        for session_id in sorted(ids):  # one lock order, as batch decisions take them
            row = guards.session(connection, principal, session_id, lock=True)
            if row.status not in ("open", "error") or records.is_expired(row, ctx.clock()):
                status = "canceled" if records.is_expired(row, ctx.clock()) else row.status
                raise Conflict(f"session {session_id} is {status}: only sessions awaiting a "
                               "decision can be grouped",
                               errors=[{"source": session_id, "message": status}])
        table = schema.group_members
        current = {row.session_id: row.group_id for row in connection.execute(
            select(table).where(table.c.session_id.in_(ids)))}
        earlier = set(current.values())
        if len(earlier) == 1 and len(current) == len(ids):
            (group_id,) = earlier
            if _members(connection, group_id) == ids:
                return _view(ctx, connection, principal, group_id), False
        group_id = PREFIX + uuid.uuid4().hex
        connection.execute(insert(schema.groups).values(
            id=group_id, actor=principal.actor, actor_type=principal.kind, created_at=ctx.now()))
        connection.execute(delete(table).where(table.c.session_id.in_(ids)))
        connection.execute(insert(table), [
            {"session_id": session_id, "group_id": group_id, "position": position}
            for position, session_id in enumerate(ids)])
        for emptied in earlier:
            if not _members(connection, emptied):
                connection.execute(delete(schema.groups).where(schema.groups.c.id == emptied))
        return _view(ctx, connection, principal, group_id), True


def get(ctx: Context, principal: Principal, group_id: str) -> GroupView:
    """The group with its sessions in order; 403 unless the credentials cover them all."""
    with ctx.db.read() as connection:
        return _view(ctx, connection, principal, group_id)


def _view(ctx: Context, connection: Connection, principal: Principal,
          group_id: str) -> GroupView:
    row = None
    if GROUP_ID.fullmatch(group_id):
        row = connection.execute(select(schema.groups)
                                 .where(schema.groups.c.id == group_id)).first()
    if row is None:
        raise NotFound(f"no group {group_id}")
    now = ctx.clock()
    sessions = tuple(
        records.session_view(connection, guards.session(connection, principal, session_id), now)
        for session_id in _members(connection, group_id))
    return GroupView(row.id, row.actor, row.actor_type, row.created_at, sessions)


def listing(ctx: Context, principal: Principal, *, status: str | None = None, page: int = 0,
            per_page: int = 100) -> tuple[list[GroupView], int]:
    """Groups whose every session the principal covers, newest first: one page and the total.

    ``status="open"``: only groups with a session that still awaits a decision.
    """
    if status is not None and status not in FILTERS:
        raise BadRequest(f"status must be one of {', '.join(FILTERS)}")
    groups, members, sessions = schema.groups, schema.group_members, schema.sessions
    in_group = select(members.c.group_id).join(sessions, sessions.c.id == members.c.session_id)
    conditions = []
    if "*" not in principal.projects:
        conditions.append(groups.c.id.not_in(
            in_group.where(sessions.c.project.not_in(sorted(principal.projects)))))
    now = ctx.now()
    if status == "open":
        awaiting = or_(sessions.c.status == "processing",
                       and_(sessions.c.status.in_(("open", "error")), sessions.c.expires_at > now))
        conditions.append(groups.c.id.in_(in_group.where(awaiting)))
    per_page = max(1, min(per_page, 100))
    with ctx.db.read() as connection:
        total = connection.execute(select(func.count()).select_from(groups)
                                   .where(*conditions)).scalar() or 0
        ids = connection.execute(select(groups.c.id).where(*conditions)
                                 .order_by(groups.c.created_at.desc(), groups.c.id)
                                 .offset(max(page, 0) * per_page).limit(per_page)).scalars()
        views = [_view(ctx, connection, principal, group_id) for group_id in list(ids)]
    return views, int(total)


def _awaits(row: Any, now: float) -> bool:
    """Whether a session still awaits a decision (open, in error or being published)."""
    if row.status == "processing":
        return True
    return row.status in ("open", "error") and not records.is_expired(row, now)


def require_whole(ctx: Context, connection: Connection, session_ids: Sequence[str]) -> None:
    """Refuse to publish part of a group (see the module docstring): every member of the
    batch's groups that awaits a decision must be in the batch. Raises :class:`Conflict`
    naming the group, how to approve it, and the members left out."""
    chosen = set(session_ids)
    table = schema.group_members
    touched = sorted(set(connection.execute(
        select(table.c.group_id).where(table.c.session_id.in_(chosen))).scalars()))
    now = ctx.clock()
    for group_id in touched:
        members = [records.fresh(connection, session_id)
                   for session_id in _members(connection, group_id)]
        left_out = [row for row in members if row.id not in chosen and _awaits(row, now)]
        if not left_out:
            continue
        order = " -> ".join(f"{row.name} {row.version}" for row in members)
        named = ", ".join(f"{row.name} {row.version} ({row.id})" for row in left_out)
        raise Conflict(
            f"these releases were staged as one group, {group_id} ({order}), and go live "
            f"together: approve the group with one code (hatch-stage approve {group_id}). "
            f"{named} of the group still await{'s' if len(left_out) == 1 else ''} a decision "
            "and would not go live with this approval (reject it first to publish the rest "
            "without it)",
            errors=[{"source": row.id, "message": f"awaits a decision in {group_id}"}
                    for row in left_out])


def ordered(ctx: Context, session_ids: Sequence[str]) -> list[str]:
    """``session_ids`` with those of one group in the group's order (their places among the
    others kept), so a batch is decided in dependency order however its ids were typed."""
    known = [session_id for session_id in session_ids if records.is_session_id(session_id)]
    with ctx.db.read() as connection:
        table = schema.group_members
        places = {row.session_id: (row.group_id, row.position) for row in connection.execute(
            select(table).where(table.c.session_id.in_(known)))}
    result = list(session_ids)
    by_group: dict[str, list[int]] = {}
    for index, session_id in enumerate(result):
        if session_id in places:
            by_group.setdefault(places[session_id][0], []).append(index)
    for slots in by_group.values():
        chosen = sorted((result[index] for index in slots), key=lambda sid: places[sid][1])
        for index, session_id in zip(slots, chosen, strict=True):
            result[index] = session_id
    return result
