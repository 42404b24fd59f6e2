"""The stage registry's service layer: PEP 694 sessions and files, independent of HTTP.

:class:`Registry` is what ``hatch-stage serve`` puts behind its routes and what the embedded
default uses in-process (``Registry.open()`` with no arguments: a local data directory, no
set-up). Every operation takes the :class:`~.views.Principal` making it and checks, on each
call, that it covers the session's project (PEP 694 authorizes per request).

State rules (PEP 694): a session is ``open``, ``processing``, ``published``, ``error`` or
``canceled``; only ``open`` and ``error`` accept changes; one live session per release.
A file is ``pending`` until its bytes are verified and it is completed; publishing needs
every file ``completed`` and inserts all of them in one transaction.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_version
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import records, schema, storage
from .accounts import Accounts
from .blobs import BlobStore, Readable
from .problems import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from .projects import Projects, normalize
from .storage import Database
from .validation import attestations_json, check_filename, check_hashes, parse_version
from .views import FileView, Principal, SessionView

#: upload mechanisms this registry speaks (PEP 694 requires http-post-bytes)
MECHANISMS = ("http-post-bytes",)
#: session states a listing may filter on
STATES = ("open", "processing", "published", "error", "canceled")


@dataclass(frozen=True)
class RegistrySettings:
    """Server-wide knobs; the defaults suit a local registry."""

    #: how long a new session lives (PEP 694 recommends no less than a week)
    session_lifetime: int = 7 * 24 * 3600
    #: how long a session may live in total, extensions included
    max_lifetime: int = 30 * 24 * 3600
    #: the largest file accepted
    max_file_size: int = 10 * 1024**3
    #: the OIDC audience trusted-publishing JWTs must carry
    audience: str = "hatch-stage"
    #: lifetime of a token minted by trusted publishing
    minted_lifetime: int = 15 * 60
    #: a blob unreferenced for this long may be deleted
    gc_grace: int = 60
    #: a session stuck in ``processing`` this long was interrupted (killed during promotion)
    processing_timeout: int = 30 * 60


class Registry:
    """A stage registry over a database and a blob store."""

    def __init__(self, db: Database, blobs: BlobStore,
                 settings: RegistrySettings | None = None, *, location: str = "") -> None:
        from .trust import TrustedPublishing  # imports pyjwt; only needed once minting starts

        self.db = db
        self.blobs = blobs
        self.settings = settings or RegistrySettings()
        #: where the data lives, for messages (data directory or database URL, no password)
        self.location = location or db.describe()
        #: the time source; tests replace it to move through expiry and OTP steps
        self.clock = time.time
        self.accounts = Accounts(db, lambda: self.clock())
        self.projects = Projects(db, lambda: self.clock())
        self.trust = TrustedPublishing(self)

    @classmethod
    def open(cls, data_dir: str | Path | None = None, database_url: str | None = None,
             settings: RegistrySettings | None = None) -> Registry:
        """Open (creating or migrating as needed) the registry in ``data_dir`` (default:
        :func:`~.storage.default_data_dir`); ``database_url`` moves the tables to PostgreSQL."""
        data = Path(data_dir).expanduser() if data_dir else storage.default_data_dir()
        data.mkdir(parents=True, exist_ok=True)
        db = Database(storage.database_url(data, database_url))
        db.migrate()
        location = db.describe() if database_url else str(data.resolve())
        return cls(db, BlobStore(data / "blobs"), settings, location=location)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def now(self) -> int:
        return int(self.clock())

    # sessions ---------------------------------------------------------------------------

    def create_session(self, principal: Principal, name: str, version: str) -> SessionView:
        """Open a session for ``name`` ``version``; :class:`Conflict` (with the live session's
        id as location) when one is already open."""
        project = self._covered(principal, name)
        key = canonicalize_version(parse_version(version))
        try:
            with self.db.write() as connection:
                row = self._new_session(connection, principal, name, version)
                return records.session_view(connection, row, self.clock())
        except IntegrityError:
            pass  # another request opened it in the meantime
        with self.db.read() as connection:
            live = records.live_session(connection, project, key)
        raise Conflict(f"a session for {name} {version} is already open",
                       location=live.id if live is not None else None)

    def _new_session(self, connection: Connection, principal: Principal, name: str,
                     version: str) -> Any:
        self._expire(connection)
        project = self.projects.ensure(connection, name)
        key = canonicalize_version(parse_version(version))
        live = records.live_session(connection, project, key)
        if live is not None:
            raise Conflict(f"a session for {name} {version} is already {live.status}",
                           location=live.id)
        now = self.now()
        session_id = str(uuid.uuid4())
        connection.execute(insert(schema.sessions).values(
            id=session_id, token=secrets.token_urlsafe(32), project=project, name=name,
            version=version, version_key=key, status="open", actor=principal.actor,
            actor_type=principal.kind, created_at=now, updated_at=now,
            expires_at=now + self.settings.session_lifetime))
        return records.fresh(connection, session_id)

    def session(self, principal: Principal, session_id: str) -> SessionView:
        """The session's current state."""
        with self.db.read() as connection:
            row = self._guard(connection, principal, session_id)
            return records.session_view(connection, row, self.clock())

    def sessions(self, principal: Principal, *, project: str | None = None,
                 status: str | None = None, page: int = 0,
                 per_page: int = 100) -> tuple[list[SessionView], int]:
        """Sessions the principal may see, newest first: one page and the total count."""
        table = schema.sessions
        conditions = []
        if project:
            conditions.append(table.c.project == normalize(project))
        if "*" not in principal.projects:
            conditions.append(table.c.project.in_(sorted(principal.projects)))
        now = self.now()
        if status is not None:
            if status not in STATES:
                raise BadRequest(f"status must be one of {', '.join(STATES)}")
            live = status in ("open", "error")
            conditions.append(table.c.status == status)
            if live:  # expired ones count as canceled
                conditions.append(table.c.expires_at > now)
        per_page = max(1, min(per_page, 100))
        with self.db.read() as connection:
            total = connection.execute(select(func.count()).select_from(table)
                                       .where(*conditions)).scalar() or 0
            rows = connection.execute(select(table).where(*conditions)
                                      .order_by(table.c.created_at.desc(), table.c.id)
                                      .offset(max(page, 0) * per_page).limit(per_page))
            views = [records.session_view(connection, row, now) for row in rows]
        if status == "canceled":  # the sweep may not have caught up with expired ones
            views = [view for view in views if view.status == "canceled"]
        return views, int(total)

    def extend(self, principal: Principal, session_id: str, seconds: Any) -> SessionView:
        """Move ``expires-at`` later (never earlier, never past the maximum lifetime)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise BadRequest("extend-for must be a positive number of seconds")
        with self.db.write() as connection:
            row = self._editable(connection, principal, session_id)
            limit = row.created_at + self.settings.max_lifetime
            expires = max(row.expires_at, min(self.now() + seconds, limit))
            connection.execute(update(schema.sessions).where(schema.sessions.c.id == row.id)
                               .values(expires_at=expires))
            return records.session_view(connection, records.fresh(connection, row.id),
                                        self.clock())

    # files ------------------------------------------------------------------------------

    def start_file(self, principal: Principal, session_id: str, filename: str, size: Any,
                   hashes: Any, mechanism: str = "http-post-bytes") -> FileView:
        """Begin a file upload session (PEP 694); the file is ``pending`` until completed."""
        if mechanism not in MECHANISMS:
            raise Unprocessable(f"upload mechanism {mechanism!r} is not supported; "
                                f"use one of {', '.join(MECHANISMS)}")
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise BadRequest("size must be the file's size in bytes")
        if size > self.settings.max_file_size:
            raise Conflict(f"{filename} is {size} bytes; this registry accepts files up to "
                           f"{self.settings.max_file_size} bytes")
        checked = check_hashes(hashes)
        with self.db.write() as connection:
            row = self._editable(connection, principal, session_id)
            check_filename(filename, row.project, row.version)
            file_id = self._put_file(connection, row, filename, size, checked, status="pending")
            return records.file_view(self._file(connection, row.id, file_id),
                                     row.expires_at)

    def _put_file(self, connection: Connection, session: Any, filename: str, size: int,
                  hashes: Mapping[str, str], *, status: str, attestations: str | None = None,
                  ) -> str:
        """Add a file row to an editable session, replacing a completed one of that name."""
        if records.released_row(connection, filename) is not None:
            raise Conflict(f"{filename} is already published; published files cannot change")
        if records.reserved_elsewhere(connection, filename, session.id):
            raise Conflict(f"{filename} is being published by another session")
        current = connection.execute(select(schema.files).where(
            schema.files.c.session_id == session.id, schema.files.c.filename == filename,
            schema.files.c.status != "canceled")).first()
        if current is not None:
            if current.status != "completed":
                raise Conflict(f"{filename} is {current.status} in this session: delete it "
                               "first, then upload it again")
            connection.execute(update(schema.files).where(schema.files.c.id == current.id)
                               .values(status="canceled"))
        file_id = secrets.token_hex(16)
        connection.execute(insert(schema.files).values(
            id=file_id, session_id=session.id, filename=filename, size=size,
            hashes=json.dumps(dict(hashes)), sha256=hashes["sha256"], status=status,
            received=status == "completed", attestations=attestations,
            created_at=self.now()))
        self._touch(connection, session.id)
        return file_id

    def file(self, principal: Principal, session_id: str, file_id: str) -> FileView:
        """A file upload session's state (canceled ones included)."""
        with self.db.read() as connection:
            row = self._guard(connection, principal, session_id)
            return records.file_view(self._file(connection, row.id, file_id), row.expires_at)

    def receive_file(self, principal: Principal, session_id: str, file_id: str,
                     stream: Readable) -> FileView:
        """Stream a pending file's bytes into the blob store, checking size and hashes.

        Nothing is held in memory; a mismatch stores nothing and leaves the file pending, so
        the client may send the bytes again.
        """
        with self.db.read() as connection:
            row = self._editable(connection, principal, session_id)
            pending = self._pending(connection, row.id, file_id)
        self.blobs.receive(stream, expected=json.loads(pending.hashes), size=pending.size,
                           limit=self.settings.max_file_size)
        with self.db.write() as connection:
            row = self._editable(connection, principal, session_id)
            self._pending(connection, row.id, file_id)
            connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                               .values(received=True))
            self._touch(connection, row.id)
            return records.file_view(self._file(connection, row.id, file_id), row.expires_at)

    def add_attestations(self, principal: Principal, session_id: str, file_id: str,
                         attestations: Any) -> FileView:
        """Attach PEP 740 attestations to a pending file (before it is completed)."""
        text = attestations_json(attestations)
        with self.db.write() as connection:
            row = self._editable(connection, principal, session_id)
            self._pending(connection, row.id, file_id)
            connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                               .values(attestations=text))
            return records.file_view(self._file(connection, row.id, file_id), row.expires_at)

    def complete_file(self, principal: Principal, session_id: str,
                      file_id: str) -> FileView:
        """Accept a fully received file into the session; a file without verified bytes
        moves to ``error`` (PEP 694: it must then be deleted and uploaded anew)."""
        failure: str | None = None
        with self.db.write() as connection:
            row = self._editable(connection, principal, session_id)
            current = self._file(connection, row.id, file_id)
            if current.status == "completed":
                return records.file_view(current, row.expires_at)
            if current.status != "pending":
                raise Conflict(f"{current.filename} is {current.status}; it cannot be completed")
            if not current.received or not self.blobs.exists(current.sha256):
                failure = "no verified bytes were received for this file"
                values: dict[str, Any] = {"status": "error", "reason": failure}
            else:
                values = {"status": "completed"}
            connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                               .values(**values))
            self._touch(connection, row.id)
            view = records.file_view(self._file(connection, row.id, file_id), row.expires_at)
        if failure is not None:
            raise Conflict(f"{current.filename}: {failure}; delete it and upload it again")
        return view

    def delete_file(self, principal: Principal, session_id: str, file_id: str) -> None:
        """Cancel a pending upload or remove a file from the session."""
        with self.db.write() as connection:
            row = self._editable(connection, principal, session_id)
            current = self._file(connection, row.id, file_id)
            if current.status in ("processing", "canceled"):
                raise Conflict(f"{current.filename} is {current.status}; it cannot be deleted")
            connection.execute(update(schema.files).where(schema.files.c.id == file_id)
                               .values(status="canceled"))
            self._touch(connection, row.id)
        self.collect_garbage([current.sha256])

    # maintainer actions, legacy uploads, trusted publishing (see those modules) ---------

    def publish(self, principal: Principal, session_id: str, otp: str | None) -> SessionView:
        """Approve: make every file public at once (maintain token + fresh OTP)."""
        from .publishing import publish

        return publish(self, principal, session_id, otp)

    def cancel(self, principal: Principal, session_id: str, otp: str | None) -> SessionView:
        """Reject: discard the session and its files (maintain token + fresh OTP)."""
        from .publishing import cancel

        return cancel(self, principal, session_id, otp)

    def decide_many(self, principal: Principal, action: str, session_ids: list[str],
                    otp: str | None) -> tuple[list[SessionView], tuple[str, Any] | None]:
        """Publish or cancel several sessions under one code (see :mod:`.publishing`)."""
        from .publishing import decide_many

        return decide_many(self, principal, action, session_ids, otp)

    def legacy_upload(self, principal: Principal, **upload: Any) -> tuple[str, SessionView | None]:
        """A twine/hatch upload: staged or published directly (see :mod:`.legacy_upload`)."""
        from .legacy_upload import legacy_upload

        return legacy_upload(self, principal, **upload)

    def mint(self, jwt: str) -> Any:
        """Exchange a trusted publisher's OIDC token for a short-lived stage token."""
        return self.trust.mint(jwt)

    def maintenance(self) -> dict[str, int]:
        """Expire old sessions, fail interrupted publishes, sweep dead uploads and blobs."""
        with self.db.write() as connection:
            self._expire(connection)
            stuck = connection.execute(
                update(schema.sessions)
                .where(schema.sessions.c.status == "processing",
                       schema.sessions.c.updated_at < self.now() - self.settings.processing_timeout)
                .values(status="error", reason="publishing was interrupted; publish again"))
        return {"interrupted": stuck.rowcount, "temporary": self.blobs.sweep_tmp(),
                "blobs": self.collect_garbage()}

    # helpers ----------------------------------------------------------------------------

    def _covered(self, principal: Principal, name: str) -> str:
        project = normalize(name)
        if not principal.covers(project):
            raise Forbidden(f"these credentials may not upload to {name}")
        return project

    def _guard(self, connection: Connection, principal: Principal, session_id: str, *,
               lock: bool = False) -> Any:
        row = records.load_session(connection, session_id, lock=lock)
        if row is None:
            raise NotFound(f"no session {session_id}")
        if not principal.covers(row.project):
            raise Forbidden(f"these credentials may not upload to {row.name}")
        return row

    def _editable(self, connection: Connection, principal: Principal, session_id: str) -> Any:
        row = self._guard(connection, principal, session_id, lock=True)
        if records.is_expired(row, self.clock()):
            raise Conflict(f"session {session_id} expired; create a new one")
        if row.status not in ("open", "error"):
            raise Conflict(f"session {session_id} is {row.status} and accepts no changes")
        return row

    def _file(self, connection: Connection, session_id: str, file_id: str) -> Any:
        row = records.load_file(connection, session_id, file_id)
        if row is None:
            raise NotFound(f"no file upload session {file_id} in session {session_id}")
        return row

    def _pending(self, connection: Connection, session_id: str, file_id: str) -> Any:
        row = self._file(connection, session_id, file_id)
        if row.status != "pending":
            raise Conflict(f"{row.filename} is {row.status}, not pending; to replace it, start "
                           "a new file upload session")
        return row

    def _touch(self, connection: Connection, session_id: str) -> None:
        connection.execute(update(schema.sessions).where(schema.sessions.c.id == session_id)
                           .values(updated_at=self.now()))

    def _expire(self, connection: Connection) -> None:
        connection.execute(
            update(schema.sessions)
            .where(schema.sessions.c.status.in_(("open", "error")),
                   schema.sessions.c.expires_at <= self.now())
            .values(status="canceled", reason=records.EXPIRED))

    def collect_garbage(self, digests: Iterable[str] | None = None) -> int:
        """Delete blobs no live or published file refers to (older than the grace period)."""
        candidates = set(self.blobs.digests() if digests is None else digests)
        if not candidates:
            return 0
        files, sessions = schema.files, schema.sessions
        with self.db.read() as connection:
            staged = connection.execute(
                select(files.c.sha256).join(sessions, sessions.c.id == files.c.session_id)
                .where(files.c.status != "canceled", sessions.c.status != "canceled",
                       files.c.sha256.in_(sorted(candidates))))
            published = connection.execute(select(schema.released.c.sha256)
                                            .where(schema.released.c.sha256.in_(sorted(candidates))))
            referenced = {row[0] for row in staged} | {row[0] for row in published}
        cutoff = self.clock() - self.settings.gc_grace
        return sum(self.blobs.remove(digest, older_than=cutoff)
                   for digest in candidates - referenced)
