"""Issue 11, item 2: what the registry keeps on disk is its owner's alone, and the secrets it
must read back can be sealed with a key from the environment.

Under an ordinary umask (022) a real ``hatch-stage serve`` creates its data directory 0700 and
every file in it 0600 (the SQLite database with its -wal and -shm files, blobs, uploads in
flight), warns at start about a looser directory that already exists, and, with
``HATCH_STAGE_SECRET_KEY`` set, stores TOTP secrets and upstream tokens sealed: a copy of the
database gives away neither, and the registry refuses to start without the key that opens
them."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from stagekit import Postgres, Server, environment, unique_name

from hatch_stage.errors import ConfigError
from hatch_stage.registry import Principal, Registry
from hatch_stage.registry.blobs_local import LocalBlobStore
from hatch_stage.registry.schema import SCHEMA_VERSION
from hatch_stage.registry.sealing import KEY_VARIABLE, PREFIX

UPSTREAM_TOKEN = "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZg-sealed-test-token"


@pytest.fixture
def ordinary_umask() -> Iterator[None]:
    """The umask most systems start users with; a server started here inherits it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """``{path relative to root: octal mode}`` of root and everything under it."""
    found = {".": f"{stat.S_IMODE(root.stat().st_mode):04o}"}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = f"{stat.S_IMODE(path.lstat().st_mode):04o}"
    return found


def test_a_new_data_directory_is_private(tmp_path: Path, ordinary_umask: None,
                                         release_factory) -> None:
    data = tmp_path / "data"
    server = Server(data, None).start()
    try:
        name = unique_name("private")
        maintainer = server.maintainer(name)
        client = server.client(maintainer.token)
        client.stage(name, "1.0", release_factory(name, "1.0"))
        found = modes(data)
    finally:
        server.stop()
    print("\nfile modes under a new data directory (umask 022):")  # the must-show figure
    for path, mode in found.items():
        print(f"  {mode}  {path}")
    assert {"registry.db", "registry.db-wal", "registry.db-shm"} <= set(found)
    assert any(path.startswith("blobs/sha256/") and len(Path(path).name) == 64
               for path in found)
    loose = {path: mode for path, mode in found.items()
             if mode not in ("0700", "0600") or
             ((data / path).is_dir() != (mode == "0700"))}
    assert loose == {}


def test_the_embedded_store_is_private_too(tmp_path: Path, ordinary_umask: None,
                                           release_factory) -> None:
    data = tmp_path / "home" / "hatch-stage"
    me = Principal.local()
    with Registry.open(data) as registry:
        session = registry.create_session(me, "embedded-private", "1.0")
        for artifact in release_factory("embedded-private", "1.0"):
            file = registry.start_file(me, session.id, artifact.filename, artifact.size,
                                       {"sha256": artifact.sha256})
            with artifact.path.open("rb") as stream:
                registry.receive_file(me, session.id, file.id, stream)
            registry.complete_file(me, session.id, file.id)
    found = modes(data)
    assert len(found) > 5
    assert {mode for path, mode in found.items() if (data / path).is_dir()} == {"0700"}
    assert {mode for path, mode in found.items() if (data / path).is_file()} == {"0600"}


def test_an_upload_in_flight_is_private(tmp_path: Path, ordinary_umask: None) -> None:
    seen: dict[str, str] = {}

    class Body:
        """A request body that looks at the upload's temporary file while it arrives."""

        chunks = [b"x" * 1000, b"y" * 1000]

        def read(self, size: int = -1, /) -> bytes:
            seen.update(modes(tmp_path / "blobs" / "tmp"))
            return self.chunks.pop() if self.chunks else b""

    store = LocalBlobStore(tmp_path / "blobs")
    received = store.receive(Body(), expected={}, size=None, limit=10_000)
    parts = {path: mode for path, mode in seen.items() if path.endswith(".part")}
    assert parts and set(parts.values()) == {"0600"} and seen["."] == "0700", seen
    assert f"{stat.S_IMODE(store.path(received.sha256).stat().st_mode):04o}" == "0600"


def test_serve_warns_about_a_looser_existing_directory(tmp_path: Path,
                                                      ordinary_umask: None) -> None:
    data = tmp_path / "shared"
    data.mkdir(mode=0o755)
    Registry.open(data).close()
    (data / "registry.db").chmod(0o644)
    server = Server(data, None).start()
    server.stop()
    log = server.log()
    assert f"warning: {data} is 0755" in log and f"chmod 700 {data}" in log
    assert f"{data / 'registry.db'} is 0644" in log and "chmod 600" in log
    # the registry leaves an operator's choice alone: it warns, it does not change it
    assert stat.S_IMODE(data.stat().st_mode) == 0o755

    tight = tmp_path / "tight"
    quiet = Server(tight, None).start()
    quiet.stop()
    assert "warning" not in quiet.log()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    postgres: Postgres = request.getfixturevalue("postgres")
    return postgres.new_database()


def stored_secrets(server: Server) -> list[str]:
    """The TOTP secrets and upstream tokens as the database holds them."""
    query = ("select totp_secret from users union all "
             "select upstream_token from projects where upstream_token is not null")
    if server.database is None:
        with sqlite3.connect(server.data / "registry.db") as db:
            return [row[0] for row in db.execute(query)]
    engine = create_engine(server.database.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def test_secrets_are_sealed_with_a_key_from_the_environment(
        tmp_path: Path, database: str | None, release_factory) -> None:
    key = Fernet.generate_key().decode()
    server = Server(tmp_path / "data", database, env={KEY_VARIABLE: key}).start()
    try:
        name = unique_name("sealed")
        maintainer = server.maintainer(name)
        server.admin_cli("project", "set", name, "--upstream-url",
                         "https://upload.example/legacy/", "--upstream-token-stdin",
                         stdin=UPSTREAM_TOKEN + "\n")
        stored = stored_secrets(server)
        assert stored and all(value.startswith(PREFIX) for value in stored)
        assert maintainer.totp_secret not in "".join(stored)
        assert UPSTREAM_TOKEN not in "".join(stored)
        if database is None:  # not in any page of the file either
            raw = b"".join(path.read_bytes() for path in server.data.glob("registry.db*"))
            assert maintainer.totp_secret.encode() not in raw
            assert UPSTREAM_TOKEN.encode() not in raw

        # the server opens them: a code from the enrolled secret approves
        client = server.client(maintainer.token)
        session = client.stage(name, "1.0", release_factory(name, "1.0"))
        server.admin_cli("project", "set", name, "--no-upstream")
        assert client.publish(session, maintainer.otp()).status_code == 201
    finally:
        server.stop()

    # without the key, or with another one, the registry refuses to open, naming the variable
    for environment_now in ({KEY_VARIABLE: ""}, {KEY_VARIABLE: Fernet.generate_key().decode()}):
        server.env = environment_now
        assert server.admin_refuses("user", "list")
        with environment(environment_now), pytest.raises(ConfigError, match=KEY_VARIABLE):
            Registry.open(server.data, database).close()


def test_stored_secrets_are_sealed_and_keys_rotated_by_admin(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", None)
    plain = server.maintainer(unique_name("before"))  # stored before any key was set
    assert stored_secrets(server) == [plain.totp_secret]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    server.env = {KEY_VARIABLE: old}
    assert server.admin("secrets", "seal") == {"sealed": 1}
    assert stored_secrets(server)[0].startswith(PREFIX)
    assert server.admin("secrets", "seal") == {"sealed": 0}
    server.env = {KEY_VARIABLE: f"{new},{old}"}  # rotation: the new key first
    assert server.admin("secrets", "seal") == {"sealed": 1}
    server.env = {KEY_VARIABLE: new}
    with environment(server.env), Registry.open(server.data) as registry:
        assert registry.accounts.users()[0]["totp_enrolled"] is True
    made = server.admin_cli("secrets", "key")["data"]
    assert made["variable"] == KEY_VARIABLE and Fernet(made["key"].encode())


def test_a_version_2_postgresql_database_is_upgraded(postgres: Postgres, tmp_path: Path) -> None:
    """Version 3 widens the TOTP secret column (a sealed one is longer than 64 characters)
    and adds sub-second creation times, filled from the whole seconds of older sessions."""
    database = postgres.new_database()
    me = Principal.local()
    with Registry.open(tmp_path / "data", database) as registry:
        first = registry.create_session(me, "upgraded-pg", "1.0")
        second = registry.create_session(me, "upgraded-pg", "2.0")
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:  # back to what version 2 had
            connection.execute(text("alter table users alter column totp_secret "
                                    "type varchar(64)"))
            connection.execute(text("alter table sessions drop column created_us"))
            connection.execute(text("update sessions set created_at = 1000 where id = :id"),
                               {"id": second.id})
            connection.execute(text("update schema_version set version = 2"))
        key = Fernet.generate_key().decode()
        with environment({KEY_VARIABLE: key}), Registry.open(tmp_path / "data",
                                                             database) as registry:
            user = registry.accounts.add_user("sealed-after-upgrade")
            assert user.totp_secret
            views, _ = registry.sessions(me, project="upgraded-pg")
            assert [view.id for view in views] == [first.id, second.id]
        with engine.connect() as connection:
            assert connection.execute(text("select version from schema_version")).scalar() \
                == SCHEMA_VERSION
            assert connection.execute(text(
                "select created_us from sessions where id = :id"),
                {"id": second.id}).scalar() == 1000 * 1_000_000
    finally:
        engine.dispose()
