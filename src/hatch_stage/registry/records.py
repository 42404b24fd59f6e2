"""Reading sessions and files from the database into views, and the queries the use cases
share. The storage layer's read side: no rules, no HTTP."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from sqlalchemy import Connection, select
from sqlalchemy.engine import Row

from ..digest import release_digest
from ..models import Check, Finding
from ..provenance import SignedBy
from . import schema
from .views import (
    Event,
    FileView,
    GroupRef,
    Provenance,
    ReleasedFile,
    SessionView,
    ValidationReport,
)

#: the reason a session that outlived ``expires-at`` shows
EXPIRED = "the session expired before it was published"
#: what the identifiers this registry hands out look like: anything else names nothing, and is
#: never sent to the database (PostgreSQL refuses a NUL in a string, for one)
_SESSION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FILE_ID = re.compile(r"[0-9a-f]{32}")
_STAGE_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_FILENAME = re.compile(r"[A-Za-z0-9._+!-]{1,255}")

_Record = TypeVar("_Record", Finding, Check)


def from_json(kind: type[_Record], items: Iterable[Any]) -> tuple[_Record, ...]:
    """Findings or checks stored as their ``as_json`` documents, read back (keys the
    dataclass does not have are left out, so older and newer rows both read)."""
    names = {field.name for field in dataclasses.fields(kind)}
    return tuple(kind(**{k: v for k, v in item.items() if k in names}) for item in items)


def provenance(row: Row[Any]) -> Provenance | None:
    """A file's verified attestations (a files or released_files row); None without any, or
    for attestations an older version stored without verifying them."""
    if not row.provenance or not row.attestations:
        return None
    record = json.loads(row.provenance)
    return Provenance(SignedBy.from_json(record["publisher"]),
                      tuple(record.get("predicate_types", ())),
                      tuple(json.loads(row.attestations)))


def file_view(row: Row[Any], expires_at: int, *, replaced: bool = False) -> FileView:
    return FileView(
        id=row.id, session_id=row.session_id, filename=row.filename, size=row.size,
        hashes=json.loads(row.hashes), status=row.status, received=bool(row.received),
        reason=row.reason, expires_at=expires_at,
        findings=from_json(Finding, json.loads(row.findings or "[]")), replaced=replaced,
        provenance=provenance(row),
    )


def is_expired(row: Row[Any], now: float) -> bool:
    """A session past ``expires-at`` that nobody published counts as canceled, whether or not
    the sweep has written that down yet."""
    return row.status in ("open", "error") and row.expires_at <= now


def events(connection: Connection, session_id: str) -> tuple[Event, ...]:
    """The session's history, oldest first."""
    rows = connection.execute(select(schema.events).where(schema.events.c.session_id == session_id)
                              .order_by(schema.events.c.id))
    return tuple(Event(row.at, row.event, row.actor, row.actor_type, row.filename, row.sha256,
                       row.previous_sha256, row.reason) for row in rows)


def _report(row: Row[Any], files: tuple[FileView, ...]) -> ValidationReport | None:
    completed = [file for file in files if file.status == "completed"]
    if not completed:
        return None
    stored = json.loads(row.report) if row.report else {}
    digest = release_digest({file.filename: file.sha256 for file in completed})
    current = stored.get("digest") == digest
    return ValidationReport(
        digest=digest,
        findings=tuple(finding for file in completed for finding in file.findings),
        checks=from_json(Check, stored.get("checks", [])) if current else (),
        error=stored.get("error") if current else "the report for these files is not ready",
    )


def session_view(connection: Connection, row: Row[Any], now: float) -> SessionView:
    """The session with its files that are not canceled, its history and its report."""
    status, reason = row.status, row.reason
    if is_expired(row, now):
        status, reason = "canceled", EXPIRED
    history = events(connection, row.id)
    # a name whose latest completion was a replacement: other bytes were reviewable before
    latest: dict[str, str] = {}
    for event in history:
        if event.filename and event.event in ("added", "replaced"):
            latest[event.filename] = event.event
    rows = connection.execute(
        select(schema.files)
        .where(schema.files.c.session_id == row.id, schema.files.c.status != "canceled")
        .order_by(schema.files.c.filename))
    files = tuple(file_view(file, row.expires_at, replaced=latest.get(file.filename) == "replaced")
                  for file in rows)
    return SessionView(
        id=row.id, token=row.token, project=row.project, name=row.name, version=row.version,
        status=status, reason=reason, actor=row.actor, actor_type=row.actor_type,
        created_at=row.created_at, updated_at=row.updated_at, expires_at=row.expires_at,
        files=files, events=history, report=_report(row, files),
        group=group_of(connection, row.id),
    )


def group_of(connection: Connection, session_id: str) -> GroupRef | None:
    """The group the session was staged with, and its place in it."""
    member = connection.execute(select(schema.group_members).where(
        schema.group_members.c.session_id == session_id)).first()
    return GroupRef(member.group_id, member.position) if member is not None else None


def load_session(connection: Connection, session_id: str, *, lock: bool = False) -> Row[Any] | None:
    """The session row; ``lock`` holds it (PostgreSQL ``FOR UPDATE``) until the transaction ends.

    SQLite needs no row lock: every write transaction there holds the database's write lock.
    """
    if not _SESSION_ID.fullmatch(session_id):
        return None  # not an id this registry makes (PostgreSQL refuses some, NUL for one)
    query = select(schema.sessions).where(schema.sessions.c.id == session_id)
    if lock:
        query = query.with_for_update()
    return connection.execute(query).first()


def is_session_id(text: str) -> bool:
    """Whether ``text`` has the form of the session ids this registry hands out."""
    return bool(_SESSION_ID.fullmatch(text))


def stage_row(connection: Connection, token: str) -> Row[Any] | None:
    """The session behind a stage preview token, if any."""
    if not _STAGE_TOKEN.fullmatch(token):
        return None
    return connection.execute(
        select(schema.sessions).where(schema.sessions.c.token == token)).first()


def fresh(connection: Connection, session_id: str) -> Row[Any]:
    """The session row, known to exist (re-read after a change)."""
    return connection.execute(
        select(schema.sessions).where(schema.sessions.c.id == session_id)).one()


def load_file(connection: Connection, session_id: str, file_id: str) -> Row[Any] | None:
    if not _FILE_ID.fullmatch(file_id):
        return None
    return connection.execute(select(schema.files).where(
        schema.files.c.id == file_id, schema.files.c.session_id == session_id)).first()


def live_files(connection: Connection, session_id: str) -> list[Row[Any]]:
    """The session's files that are not canceled, by file name."""
    return list(connection.execute(select(schema.files).where(
        schema.files.c.session_id == session_id, schema.files.c.status != "canceled")
        .order_by(schema.files.c.filename)))


def live_session(connection: Connection, project: str, version_key: str) -> Row[Any] | None:
    """The open, processing or error session for a release, if any."""
    return connection.execute(select(schema.sessions).where(
        schema.sessions.c.project == project, schema.sessions.c.version_key == version_key,
        schema.sessions.c.status.in_(schema.LIVE_STATES))).first()


def released_row(connection: Connection, filename: str) -> Row[Any] | None:
    if not _FILENAME.fullmatch(filename):
        return None  # no file of that name was ever accepted
    return connection.execute(
        select(schema.released).where(schema.released.c.filename == filename)).first()


def release_key(filename: str) -> str | None:
    """The canonical version (what ``sessions.version_key`` holds) a distribution's file name
    carries; None for a name that carries none."""
    try:
        if filename.endswith(".whl"):
            return canonicalize_version(parse_wheel_filename(filename)[1])
        return canonicalize_version(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def released_view(row: Row[Any]) -> ReleasedFile:
    return ReleasedFile(row.filename, row.project, row.version, row.sha256, row.size,
                        row.published_at, provenance(row))


def reserved_elsewhere(connection: Connection, filename: str, session_id: str) -> bool:
    """Whether another session is publishing a file of this name right now (PEP 694 filename
    reservation: such an upload must get 409, as if the file were already published)."""
    query = (select(schema.files.c.id)
             .join(schema.sessions, schema.sessions.c.id == schema.files.c.session_id)
             .where(schema.files.c.filename == filename, schema.files.c.status == "completed",
                    schema.sessions.c.status == "processing",
                    schema.sessions.c.id != session_id))
    return connection.execute(query).first() is not None
