"""Where the registry keeps its data: the data directory, the SQL database, the blob store.

With no options everything lives in one data directory (SQLite database ``registry.db`` and
the blob directory ``blobs/``), created on first use. ``--database postgresql://...`` moves
the tables to PostgreSQL and ``--blobs s3://BUCKET/PREFIX`` the files to an object store, so
several instances can share them. The schema is created or migrated when the database opens.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ..errors import ConfigError
from . import schema
from .blobs import BlobStore
from .blobs_local import LocalBlobStore

#: environment variable naming the data directory
HOME_VARIABLE = "HATCH_STAGE_HOME"
#: the SQLite file inside the data directory
SQLITE_NAME = "registry.db"
#: environment variable read when --blobs is not given
BLOBS_VARIABLE = "HATCH_STAGE_BLOBS"


def default_data_dir() -> Path:
    """The registry's data directory when none is given: ``$HATCH_STAGE_HOME``, else
    ``$XDG_DATA_HOME/hatch-stage``, else ``~/.local/share/hatch-stage``."""
    if home := os.environ.get(HOME_VARIABLE):
        return Path(home).expanduser()
    if xdg := os.environ.get("XDG_DATA_HOME"):
        return Path(xdg).expanduser() / "hatch-stage"
    return Path.home() / ".local" / "share" / "hatch-stage"


def private_directory(path: Path) -> Path:
    """``path`` as a directory only its owner can enter, created 0700 if missing (it holds
    the TOTP secrets, and staged files nobody else may read yet). An existing one is left as
    it is: :func:`loose_permissions` says what to tighten."""
    if not path.is_dir():
        path.mkdir(parents=True, mode=0o700)
        path.chmod(0o700)  # whatever the umask left
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only (0600), unless it
    exists."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def loose_permissions(data_dir: Path) -> list[str]:
    """What in the data directory other users could read or change: the directory itself and
    the SQLite files, each with the command that fixes it."""
    problems = []
    targets = [(data_dir, 0o700)] + [(data_dir / f"{SQLITE_NAME}{suffix}", 0o600)
                                     for suffix in ("", "-wal", "-shm")]
    for path, wanted in targets:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            problems.append(f"{path} is {mode:04o}: other users can "
                            f"{'enter' if path.is_dir() else 'read'} it; "
                            f"`chmod {wanted:o} {path}`")
    return problems


def database_url(data_dir: Path, url: str | None) -> URL:
    """The SQLAlchemy URL: the given one (``postgresql://`` means psycopg 3) or the SQLite file."""
    if not url:
        return URL.create("sqlite", database=str(data_dir / SQLITE_NAME))
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"--database {url!r} is not a database URL "
                          "(expected postgresql://user@host:port/name)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(f"--database: {parsed.get_backend_name()} is not supported; "
                          "use postgresql://... or leave it out for SQLite")
    return parsed


def open_store(blobs: str | None, data_dir: Path) -> BlobStore:
    """The blob store ``--blobs`` names: ``s3://BUCKET/PREFIX`` (endpoint, region and
    credentials as the AWS tools read them), a directory, or (None) ``DATA/blobs``."""
    if blobs and blobs.startswith("s3://"):
        from .blobs_s3 import S3BlobStore

        return S3BlobStore.from_url(blobs, scratch=data_dir / "tmp")
    if blobs and "://" in blobs:
        raise ConfigError(f"--blobs {blobs!r}: expected s3://BUCKET/PREFIX or a directory")
    return LocalBlobStore(Path(blobs).expanduser() if blobs else data_dir / "blobs")


def _sqlite_pragmas(engine: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN and make concurrent writers fail
    # with "database is locked"; take it over: BEGIN IMMEDIATE for writes, BEGIN for reads
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed upload survives even a power cut, not only a killed process
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("hatch_stage_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """The registry's SQL database: short transactions, schema migrated on open."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.is_sqlite = url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if url.database:
                # before SQLite creates it with the umask's mode; its -wal and -shm files
                # take the database file's mode
                private_file(Path(url.database))
            self.engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30})
            _sqlite_pragmas(self.engine)
        else:
            # a database that does not answer fails a request (or the health check) in seconds
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8,
                                        connect_args={"connect_timeout": 10})

    def describe(self) -> str:
        """The database location for messages, password hidden."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may write; commits on success, rolls back on any error."""
        with self.engine.connect().execution_options(hatch_stage_write=True) as connection, \
                connection.begin():
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (one consistent snapshot)."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    def migrate(self) -> int:
        """Create or upgrade the schema; returns the schema version now in force."""
        try:
            with self.write() as connection:
                if not self.is_sqlite:
                    # several instances may start at once; one migrates, the others wait
                    connection.execute(text("SELECT pg_advisory_xact_lock(694694)"))
                schema.schema_version.create(connection, checkfirst=True)
                current = connection.execute(select(func.max(schema.schema_version.c.version)))
                version = current.scalar() or 0
                if version > schema.SCHEMA_VERSION:
                    raise ConfigError(
                        f"the registry database {self.describe()} has schema version {version}, "
                        f"newer than this hatch-stage understands ({schema.SCHEMA_VERSION}); "
                        "upgrade hatch-stage"
                    )
                if version == 0:
                    schema.create(connection)
                    connection.execute(insert(schema.schema_version).values(
                        version=schema.SCHEMA_VERSION))
                    return schema.SCHEMA_VERSION
                for step in schema.UPGRADES[version - 1:]:
                    step(connection)
                if version < schema.SCHEMA_VERSION:
                    connection.execute(update(schema.schema_version).values(
                        version=schema.SCHEMA_VERSION))
        except OperationalError as error:
            raise ConfigError(f"cannot open the registry database {self.describe()}: "
                              f"{error.orig or error}") from None
        return schema.SCHEMA_VERSION

    def close(self) -> None:
        self.engine.dispose()
