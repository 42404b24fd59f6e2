"""The registry's tables (SQLAlchemy Core) and the migrations that build them.

Timestamps are integer Unix seconds, so SQLite and PostgreSQL store and compare them alike.
Names are stored normalized (PEP 503) next to the name as the uploader spelled it.
The partial unique indexes are what make concurrent instances safe: the database, not the
Python code, refuses a second live session for one release or a second published file of
one name.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
    update,
)

#: session states in which a session still holds its name and version (PEP 694)
LIVE_STATES = ("open", "processing", "error")

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    # TOTP needs the shared secret to verify codes; it never leaves the registry again.
    # Text: sealed at rest (see sealing.py) it is longer than the secret (version 3)
    Column("totp_secret", Text),
    # the last accepted TOTP time step, so a code cannot be used twice
    Column("totp_last_step", BigInteger),
    # wrong codes in a row and when the last one came, to pause guessing
    Column("otp_failures", Integer, nullable=False, default=0),
    Column("otp_failed_at", BigInteger, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("name", String(200), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("require_staging", Boolean, nullable=False, default=False),
    Column("allow_direct_publish", Boolean, nullable=False, default=False),
    Column("upstream_url", Text),
    Column("upstream_user", String(200)),
    Column("upstream_token", Text),
    Column("created_at", BigInteger, nullable=False),
    # whether promotion sends the files' attestations upstream (version 5; NULL: it does)
    Column("upstream_attestations", Boolean),
)

publishers = Table(
    "publishers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(200), nullable=False, index=True),
    Column("issuer", Text, nullable=False),
    Column("repository", String(200), nullable=False),
    Column("workflow", String(200), nullable=False),
    Column("environment", String(200)),
    Column("jwks", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # github, gitlab or google (version 5; NULL in older rows means github). GitLab keeps
    # the project path in repository and the CI file path in workflow; Google leaves both ""
    Column("kind", String(16)),
    # the Google Cloud service account (version 5)
    Column("email", String(320)),
)

tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # sha256 of the token; the token itself is shown once and never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id")),
    # no foreign key: removing a publisher leaves its (short-lived) tokens to expire
    Column("publisher_id", Integer),
    # normalized project names separated by spaces, or "*" for every project
    Column("projects", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("revoked_at", BigInteger),
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(36), primary_key=True),
    # the stage preview capability; random, unrelated to the id
    Column("token", String(64), nullable=False, unique=True),
    Column("project", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("version", String(100), nullable=False),
    # canonical form of the version, so "1.0" and "1.0.0" are one release
    Column("version_key", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    # why the session is in error or was canceled; shown in notices
    Column("reason", Text),
    Column("actor", String(200), nullable=False),
    Column("actor_type", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    # the validation report's quality checks, JSON {"digest", "checks", "error"} (version 2)
    Column("report", Text),
    # the creation time in microseconds, so listings keep the order sessions were opened in
    # within one second (version 3)
    Column("created_us", BigInteger),
    # the expires-at an ``expiring`` notification went out for: an extended session is
    # warned again when its new end comes near (version 7)
    Column("warned_expires_at", BigInteger),
)
Index(
    "one_live_session_per_release", sessions.c.project, sessions.c.version_key, unique=True,
    sqlite_where=sessions.c.status.in_(LIVE_STATES),
    postgresql_where=sessions.c.status.in_(LIVE_STATES),
)
Index("sessions_by_project", sessions.c.project, sessions.c.status)
Index("sessions_by_expiry", sessions.c.status, sessions.c.expires_at)

files = Table(
    "files", metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(36), ForeignKey("sessions.id"), nullable=False, index=True),
    Column("filename", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    # the declared hashes, JSON {algorithm: hex}
    Column("hashes", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    # True once the bytes are on disk under their verified sha256
    Column("received", Boolean, nullable=False, default=False),
    # PEP 740 attestations, a JSON array, or NULL
    Column("attestations", Text),
    Column("reason", Text),
    Column("created_at", BigInteger, nullable=False),
    # what the registry's inspection found in a completed file, a JSON array (version 2)
    Column("findings", Text),
    # whom the attestations verified against, JSON {"publisher", "predicate_types"} (version
    # 4); attestations without it were stored unverified by an older version and are ignored
    Column("provenance", Text),
)
Index(
    "one_live_file_per_name", files.c.session_id, files.c.filename, unique=True,
    sqlite_where=files.c.status != "canceled",
    postgresql_where=files.c.status != "canceled",
)

released = Table(
    "released_files", metadata,
    # file names are unique across the index, as on PyPI: published files are immutable
    Column("filename", String(255), primary_key=True),
    Column("project", String(200), nullable=False, index=True),
    Column("version", String(100), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("attestations", Text),
    Column("session_id", String(36)),
    Column("published_at", BigInteger, nullable=False),
    # as files.provenance (version 5)
    Column("provenance", Text),
)

used_jwts = Table(
    "used_jwts", metadata,
    Column("jti", String(255), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)

# a session's history: every file added, replaced, removed or failed, and the decisions, by
# whom and when (version 2); the order of ``id`` is the order things happened in
events = Table(
    "session_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(36), ForeignKey("sessions.id"), nullable=False, index=True),
    Column("at", BigInteger, nullable=False),
    Column("event", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_type", String(16), nullable=False),
    Column("filename", String(255)),
    Column("sha256", String(64)),
    Column("previous_sha256", String(64)),
    Column("reason", Text),
)

# who is signed in to the review page (version 4): the cookie's sha256, never the cookie; the
# token it was opened with, checked again on every request (a revoked token ends it)
web_sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("token_id", Integer, ForeignKey("tokens.id"), nullable=False),
    # the anti-forgery token every form of this sign-in carries
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)

# per-project webhooks (version 7): where notifications go, signed with the secret (sealed at
# rest, see sealing.py); ``project`` is a normalized name or "*" for every project, ``events``
# the event names it wants, space-separated, or "*"
webhooks = Table(
    "webhooks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(200), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# the outbox (version 7): every notification, written in the transaction of the change it
# tells about, its JSON body fixed then (so every attempt sends the same signed bytes)
notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(32), nullable=False),
    Column("project", String(200), nullable=False),
    Column("session_id", String(36)),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# one notification to one webhook (version 7); ``id`` is the delivery id the receiver sees.
# A worker claims a delivery until ``claimed_until`` (so one instance sends it) and a claim
# that outlives a dead worker lapses
deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", String(36), primary_key=True),
    Column("notification_id", Integer, ForeignKey("notifications.id"), nullable=False),
    # no foreign key: removing a webhook keeps its delivery log
    Column("webhook_id", Integer, nullable=False, index=True),
    # pending, delivered, failed (out of attempts) or canceled (its webhook was removed)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
)
Index("deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)

# every attempt of a delivery, for ``admin webhook deliveries`` (version 7)
attempts = Table(
    "webhook_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), ForeignKey("webhook_deliveries.id"), nullable=False,
           index=True),
    Column("attempt", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    # the receiver's HTTP status, or NULL when no answer came (the error says why)
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)

# background work one instance does at a time (version 7): a named lease, taken by a
# conditional update, that lapses when its holder dies
leases = Table(
    "leases", metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)


# groups of sessions released together (``hatch-stage publish --workspace``; version 6): a
# session belongs to at most one group, at one position (the order to decide them in)
groups = Table(
    "session_groups", metadata,
    Column("id", String(40), primary_key=True),
    Column("actor", String(200), nullable=False),
    Column("actor_type", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

group_members = Table(
    "session_group_members", metadata,
    Column("session_id", String(36), ForeignKey("sessions.id"), primary_key=True),
    Column("group_id", String(40), ForeignKey("session_groups.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
)


def create(connection: Connection) -> None:
    """A new database: every table as this version defines it."""
    metadata.create_all(connection)


def _history_v2(connection: Connection) -> None:
    # version 1 had neither the history nor the inspection results
    events.create(connection, checkfirst=True)
    connection.execute(text("ALTER TABLE files ADD COLUMN findings TEXT"))
    connection.execute(text("ALTER TABLE sessions ADD COLUMN report TEXT"))


def _columns(connection: Connection, table: Table) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns(table.name)}


def _hardening_v3(connection: Connection) -> None:
    # sub-second creation times for the listing order, filled from the whole seconds for
    # sessions created before; room for sealed TOTP secrets. Each part only adds what is
    # missing, so it may run after or before other branches' steps, or twice.
    if "created_us" not in _columns(connection, sessions):
        connection.execute(text("ALTER TABLE sessions ADD COLUMN created_us BIGINT"))
    connection.execute(update(sessions).where(sessions.c.created_us.is_(None))
                       .values(created_us=sessions.c.created_at * 1_000_000))
    if connection.dialect.name == "postgresql":  # SQLite does not enforce VARCHAR lengths
        connection.execute(text("ALTER TABLE users ALTER COLUMN totp_secret TYPE TEXT"))


def _web_sessions_v4(connection: Connection) -> None:
    # the review page's sign-ins; only adds what is missing, so it runs in any order with
    # other branches' steps
    web_sessions.create(connection, checkfirst=True)


def add_missing_column(connection: Connection, table: Table, name: str) -> None:
    """Add ``table``'s column ``name`` as this version defines it, unless it is there (so an
    upgrade step can run after, before or twice alongside another branch's steps)."""
    if name not in _columns(connection, table):
        column = table.c[name]
        kind = column.type.compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


def _provenance_v5(connection: Connection) -> None:
    # publisher kinds beyond GitHub, and what attestations verified against (issue 10)
    for table, name in ((publishers, "kind"), (publishers, "email"), (files, "provenance"),
                        (released, "provenance"), (projects, "upstream_attestations")):
        add_missing_column(connection, table, name)
    connection.execute(update(publishers).where(publishers.c.kind.is_(None))
                       .values(kind="github"))


def _groups_v6(connection: Connection) -> None:
    # groups are new tables only: nothing to fill in, and safe to run twice
    groups.create(connection, checkfirst=True)
    group_members.create(connection, checkfirst=True)


def _service_v7(connection: Connection) -> None:
    # webhooks, the outbox and its deliveries, leases, the expiry warning mark. Each part only
    # adds what is missing, so it may run after or before other branches' steps, or twice.
    for table in (webhooks, notifications, deliveries, attempts, leases):
        table.create(connection, checkfirst=True)
    add_missing_column(connection, sessions, "warned_expires_at")
    existing = {index["name"] for index in inspect(connection).get_indexes(sessions.name)}
    if "sessions_by_expiry" not in existing:
        connection.execute(text(
            "CREATE INDEX sessions_by_expiry ON sessions (status, expires_at)"))


#: upgrades in order; UPGRADES[n] brings a database from version n + 1 to n + 2 (a new
#: database is created at the current version by :func:`create`)
UPGRADES: tuple[Callable[[Connection], None], ...] = (_history_v2, _hardening_v3,
                                                     _web_sessions_v4, _provenance_v5,
                                                     _groups_v6, _service_v7)
#: the schema version this code writes
SCHEMA_VERSION = 1 + len(UPGRADES)
