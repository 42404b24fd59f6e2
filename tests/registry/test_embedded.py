"""The service layer in-process (the embedded default): no server, no set-up, a local
principal that needs no OTP; plus expiry, storage resolution and housekeeping."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import time
from pathlib import Path

import pyotp
import pytest
from stagekit import Upload, build_release, stage_in_process, wait_until

from hatch_stage.errors import ConfigError, HatchStageError
from hatch_stage.models import Artifact
from hatch_stage.provenance import PublisherIdentity
from hatch_stage.registry import (
    Principal,
    Registry,
    RegistrySettings,
    SessionView,
    default_data_dir,
    schema,
)
from hatch_stage.registry.schema import SCHEMA_VERSION
from hatch_stage.registry.storage import database_url


def _staged(registry: Registry, me: Principal, name: str, version: str,
            artifacts: list[Artifact]) -> SessionView:
    """A session of ``name`` ``version`` with every artifact uploaded and completed."""
    staged: SessionView = stage_in_process(registry, me, name, version, artifacts)
    return staged


def test_embedded_registry_stages_and_publishes(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HATCH_STAGE_HOME", str(tmp_path / "home"))
    me = Principal.local()
    artifacts = build_release(tmp_path, "embedded", "0.1.0")
    with Registry.open() as registry:
        assert registry.location == str((tmp_path / "home").resolve())
        session = _staged(registry, me, "embedded", "0.1.0", artifacts)
        assert registry.stage_session(session.token).id == session.id
        assert registry.released_files("embedded") == []
        reviewed = registry.session(me, session.id)
        published = registry.publish(me, session.id, otp=None, digest=reviewed.digest)
        assert published.status == "published"
        files = registry.released_files("Embedded")
        assert sorted(f.sha256 for f in files) == sorted(a.sha256 for a in artifacts)
        path = registry.blobs.path(files[0].sha256)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == files[0].sha256
    assert (tmp_path / "home" / "registry.db").is_file()
    with sqlite3.connect(tmp_path / "home" / "registry.db") as db:
        assert db.execute("pragma journal_mode").fetchone() == ("wal",)


def test_local_owner_needs_a_code_once_enrolled(tmp_path: Path) -> None:
    me = Principal.local()
    with Registry.open(tmp_path / "home") as registry:
        sessions = []
        for version in ("0.1.0", "0.2.0"):
            sessions.append(_staged(registry, me, "enrolled", version,
                                    build_release(tmp_path / version, "enrolled", version)))
        # no TOTP enrolled yet: the owner of the local store approves without a code
        digests = [registry.session(me, session.id).digest for session in sessions]
        assert registry.publish(me, sessions[0].id, otp=None,
                                digest=digests[0]).status == "published"
        enrolled = registry.accounts.add_user("local")
        with pytest.raises(HatchStageError, match="one-time password"):
            registry.publish(me, sessions[1].id, otp=None, digest=digests[1])
        code = pyotp.TOTP(enrolled.totp_secret).now()
        assert registry.publish(me, sessions[1].id, otp=code,
                                digest=digests[1]).status == "published"


def test_sessions_expire_and_extend_within_limits(tmp_path: Path) -> None:
    settings = RegistrySettings(session_lifetime=60, max_lifetime=600)
    me = Principal.local()
    with Registry.open(tmp_path, settings=settings) as registry:
        start = time.time()
        session = registry.create_session(me, "expiring", "1.0")
        with pytest.raises(HatchStageError, match="already open"):
            registry.create_session(me, "expiring", "1.0")
        extended = registry.extend(me, session.id, 10_000)
        assert extended.expires_at == session.created_at + 600  # capped at the maximum

        registry.clock = lambda: start + 601
        assert registry.session(me, session.id).status == "canceled"
        assert "expired" in registry.session(me, session.id).notices[0]
        with pytest.raises(HatchStageError, match="expired"):
            registry.extend(me, session.id, 60)
        renewed = registry.create_session(me, "expiring", "1.0")
        assert renewed.id != session.id and renewed.token != session.token
        with pytest.raises(HatchStageError):
            registry.stage_session(session.token)


def test_housekeeping_removes_dead_uploads_and_orphan_blobs(tmp_path: Path) -> None:
    me = Principal.local()
    with Registry.open(tmp_path, settings=RegistrySettings(gc_grace=0)) as registry:
        payload = b"x" * 1000
        digest = hashlib.sha256(payload).hexdigest()
        session = registry.create_session(me, "swept", "1.0")
        file = registry.start_file(me, session.id, "swept-1.0.tar.gz", len(payload),
                                   {"sha256": digest})
        registry.receive_file(me, session.id, file.id, io.BytesIO(payload))
        dead = registry.blobs.scratch / "dead.part"
        dead.write_bytes(b"partial")
        os.utime(dead, (time.time() - 3600, time.time() - 3600))
        registry.clock = lambda: time.time() + 5
        assert registry.maintenance() == {"interrupted": 0, "temporary": 1, "blobs": 0,
                                         "sign-ins": 0}
        assert registry.blobs.exists(digest)  # still referenced by the session

        registry.delete_file(me, session.id, file.id)
        assert not registry.blobs.exists(digest)
        assert not dead.exists()


def test_storage_locations_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HATCH_STAGE_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "hatch-stage"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_data_dir() == tmp_path / "user" / ".local" / "share" / "hatch-stage"
    monkeypatch.setenv("HATCH_STAGE_HOME", str(tmp_path / "explicit"))
    assert default_data_dir() == tmp_path / "explicit"

    url = database_url(tmp_path, "postgresql://hs:secret@db.example:5432/registry")
    assert url.drivername == "postgresql+psycopg"
    assert database_url(tmp_path, None).database == str(tmp_path / "registry.db")
    with pytest.raises(ConfigError, match="not supported"):
        database_url(tmp_path, "mysql://db.example/registry")


def test_a_version_1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    """A store written before sessions kept a history and a validation report (schema 1)
    opens, keeps its sessions, and can publish them."""
    me = Principal.local()
    artifacts = build_release(tmp_path / "dist", "upgraded", "1.0")
    with Registry.open(tmp_path / "data") as registry:
        session = _staged(registry, me, "upgraded", "1.0", artifacts)
    with sqlite3.connect(tmp_path / "data" / "registry.db") as db:  # back to what version 1 had
        db.execute("drop table session_events")
        db.execute("alter table files drop column findings")
        db.execute("alter table sessions drop column report")
        db.execute("update schema_version set version = 1")
    with Registry.open(tmp_path / "data") as registry:
        kept = registry.session(me, session.id)
        assert sorted(kept.completed) == sorted(a.filename for a in artifacts)
        assert kept.events == ()  # nothing was recorded before the upgrade
        assert registry.publish(me, session.id, None, kept.digest).status == "published"
        assert [e.event for e in registry.session(me, session.id).events] == ["published"]
    with sqlite3.connect(tmp_path / "data" / "registry.db") as db:
        assert db.execute("select version from schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_database_before_publisher_kinds_is_upgraded_in_place(tmp_path: Path) -> None:
    """Issue 10's schema step: publishers get a kind (the old ones are GitHub's) and files the
    record of what their attestations verified against. A database of the version before it
    is upgraded; the step only adds what is missing, so it may run again, or after other
    branches' steps."""
    before = schema.UPGRADES.index(schema._provenance_v5) + 1  # the version it upgrades from
    me = Principal.local()
    artifacts = build_release(tmp_path / "dist", "kinds", "1.0")
    identity = PublisherIdentity("github", "octo/kinds", "release.yml")
    with Registry.open(tmp_path / "data") as registry:
        registry.projects.add_publisher("kinds", identity, "jwks.json")
        session = _staged(registry, me, "kinds", "1.0", artifacts)
    with sqlite3.connect(tmp_path / "data" / "registry.db") as db:  # back to that version
        for table, column in (("publishers", "kind"), ("publishers", "email"),
                              ("files", "provenance"), ("released_files", "provenance"),
                              ("projects", "upstream_attestations")):
            db.execute(f"alter table {table} drop column {column}")
        db.execute(f"update schema_version set version = {before}")
    for _ in range(2):
        with Registry.open(tmp_path / "data") as registry:
            (publisher,) = registry.projects.publishers("kinds")
            assert publisher.kind == "github" and publisher.identity == identity
            kept = registry.session(me, session.id)
            assert sorted(kept.completed) == sorted(a.filename for a in artifacts)
            assert all(file.provenance is None for file in kept.files)
            assert registry.projects.get("kinds").upstream_attestations is True
        with sqlite3.connect(tmp_path / "data" / "registry.db") as db:
            assert db.execute("select version from schema_version").fetchall() == [
                (SCHEMA_VERSION,)]
            db.execute(f"update schema_version set version = {before}")  # again: a no-op


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Registry.open(tmp_path).close()
    with sqlite3.connect(tmp_path / "registry.db") as db:
        db.execute("update schema_version set version = 99")
    with pytest.raises(ConfigError, match="newer than this hatch-stage"):
        Registry.open(tmp_path)


def test_local_token_acts_as_the_local_owner(tmp_path: Path) -> None:
    """The embedded server a command starts for itself: its token needs no OTP."""
    import threading

    import httpx2
    import uvicorn

    from hatch_stage.registry.app import create_app
    from hatch_stage.registry.server import bind

    registry = Registry.open(tmp_path)
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    local = "hst_local_" + "x" * 43
    server = uvicorn.Server(uvicorn.Config(create_app(registry, base_url=url, local_token=local),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), 15, "the server to start")
        assert server.started, "the server thread ended without starting"
        upload = {"Content-Type": "application/vnd.pypi.upload.v2+json"}
        meta = {"meta": {"api-version": "2.0"}}
        http = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {local}"})
        session = http.post("/upload/2.0/", json={**meta, "name": "owned", "version": "1"},
                            headers=upload).json()
        assert session["actor"] == "local"
        client = Upload(http)
        empty = client.publish(session)
        assert empty.status_code == 409 and "no files" in empty.json()["detail"]
        for artifact in build_release(tmp_path / "dist", "owned", "1"):
            client.upload(session, artifact)
        published = client.publish(session)
        assert published.status_code == 201 and published.json()["status"] == "published"
        other = httpx2.post(f"{url}/upload/2.0/", json={**meta, "name": "owned", "version": "2"},
                            headers={**upload, "Authorization": f"Bearer {local}y"})
        assert other.status_code == 401
    finally:
        server.should_exit = True
        thread.join(10)
        registry.close()
