"""Issue 14, parts A and B: the S3 blob store on moto's server mode (a real S3 HTTP API on
127.0.0.1; AWS itself cannot be reached from here), downloads redirected to presigned URLs,
``GET /_/health``, and the schema upgrade that brings webhooks and the outbox.

(The whole registry suite also runs with its files in a bucket: the ``s3`` backend of
tests/registry/conftest.py.)"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import time
from pathlib import Path

import httpx2
import psycopg
import pytest
from sqlalchemy import inspect
from stagekit import (
    ObjectStore,
    Postgres,
    Server,
    Storage,
    environment,
    installed_release,
    pip_install,
    unique_name,
    wait_until,
)

from hatch_stage.registry import Registry, schema
from hatch_stage.registry.blobs_s3 import S3BlobStore
from hatch_stage.registry.problems import BadRequest, TooLarge
from hatch_stage.registry.schema import SCHEMA_VERSION
from hatch_stage.registry.views import Principal

MIB = 1 << 20
#: a secret access key distinctive enough to search for in everything the registry prints
SECRET = "hs-test-secret-key-1f0e9d"


class Broken:
    """A request body that dies after ``size`` bytes, as a cut-off connection does."""

    def __init__(self, data: bytes, size: int) -> None:
        self.stream, self.left = io.BytesIO(data), size

    def read(self, size: int = -1, /) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("the client went away")
        chunk = self.stream.read(min(size, self.left))
        self.left -= len(chunk)
        return chunk


@pytest.fixture
def bucket(object_store: ObjectStore, tmp_path: Path) -> S3BlobStore:
    with environment(object_store.env):
        store = S3BlobStore.from_url(object_store.new_bucket(), scratch=tmp_path / "tmp")
    store.part_size = 5 * MIB  # S3's smallest part: small files are multipart uploads here
    return store


def _unfinished(store: S3BlobStore) -> list[dict[str, str]]:
    listed = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    return list(listed.get("Uploads", []))


def test_uploads_stream_into_the_bucket_and_only_verified_bytes_count(
        bucket: S3BlobStore) -> None:
    data = os.urandom(12 * MIB)  # three parts
    digest = hashlib.sha256(data).hexdigest()
    limit = 1 << 30

    # cut off after the first part went up: no object, the multipart upload aborted
    with pytest.raises(ConnectionResetError):
        bucket.receive(Broken(data, 7 * MIB), expected={"sha256": digest}, size=len(data),
                       limit=limit)
    # every byte arrived but the hash is wrong: nothing either
    with pytest.raises(BadRequest, match="does not match"):
        bucket.receive(io.BytesIO(data), expected={"sha256": "0" * 64}, size=len(data),
                       limit=limit)
    with pytest.raises(TooLarge):
        bucket.receive(io.BytesIO(data), expected={"sha256": digest}, size=None,
                       limit=6 * MIB)
    assert not bucket.exists(digest) and set(bucket.digests()) == set()
    assert _unfinished(bucket) == []

    received = bucket.receive(io.BytesIO(data), expected={"sha256": digest}, size=len(data),
                              limit=limit)
    assert received.sha256 == digest and received.size == len(data)
    with bucket.open(digest) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == digest
    with bucket.local_file(digest, "x-1.0.tar.gz") as path:
        assert path.name == "x-1.0.tar.gz" and path.stat().st_size == len(data)
        assert path.stat().st_mode & 0o777 == 0o600
    assert not list(bucket.scratch.iterdir()), "the local copy is gone after the block"

    # a legacy upload declares no sha256: it goes to tmp/ and moves to its name once verified
    other = os.urandom(11 * MIB)
    legacy = bucket.receive(io.BytesIO(other), expected={"md5": hashlib.md5(other).hexdigest()},
                            size=None, limit=limit)
    assert legacy.sha256 == hashlib.sha256(other).hexdigest()
    assert set(bucket.digests()) == {digest, legacy.sha256}
    keys = bucket.client.list_objects_v2(Bucket=bucket.bucket, Prefix=bucket.prefix)
    assert all("/tmp/" not in item["Key"] for item in keys["Contents"])


def test_the_sweep_aborts_multipart_uploads_that_stopped(bucket: S3BlobStore) -> None:
    """What a server killed mid-upload leaves: a multipart upload with parts. It is kept while
    parts keep coming (by the age of its newest part: moto reports every upload as started in
    2010, so the start time alone could not tell), aborted once they stopped."""
    data = os.urandom(7 * MIB)
    upload = bucket.client.create_multipart_upload(Bucket=bucket.bucket,
                                                   Key=f"{bucket.prefix}tmp/killed")
    bucket.client.upload_part(Bucket=bucket.bucket, Key=f"{bucket.prefix}tmp/killed",
                              UploadId=upload["UploadId"], PartNumber=1, Body=data[:5 * MIB])
    assert len(_unfinished(bucket)) == 1
    assert bucket.sweep_tmp() == 0, "its last part is fresh: it may still be going on"
    assert bucket.sweep_tmp(now=time.time() + 3600) == 1
    assert _unfinished(bucket) == []


def test_downloads_can_redirect_to_presigned_urls_and_pip_follows(
        postgres: Postgres, object_store: ObjectStore, tmp_path: Path, release_factory) -> None:
    storage = Storage(postgres.new_database(), object_store.new_bucket(), object_store)
    server = Server.over(tmp_path / "data", storage, extra=["--redirect-downloads", "60"])
    server.start()
    try:
        name = unique_name("redirected")
        maintainer = server.maintainer(name)
        client = server.client(maintainer.token)
        session = client.stage(name, "1.0", release_factory(name, "1.0"))
        wheel = release_factory(name, "1.0")[1]
        answer = httpx2.get(f"{session['links']['stage']}files/{wheel.filename}")
        assert answer.status_code == 307
        location = answer.headers["location"]
        assert location.startswith(object_store.endpoint) and "Signature=" in location
        assert answer.headers["cache-control"] == "private, no-store"
        fetched = httpx2.get(location)
        assert hashlib.sha256(fetched.content).hexdigest() == wheel.sha256
        installed = pip_install(session["links"]["stage"], f"{name}==1.0", tmp_path / "t")
        assert installed.returncode == 0, installed.stderr
        assert installed_release(tmp_path / "t", name) == f'RELEASE = "{name} 1.0"\n'
    finally:
        server.stop()


def test_health_reports_database_and_storage_without_credentials(
        postgres: Postgres, object_store: ObjectStore, tmp_path: Path) -> None:
    database = postgres.new_database()
    env = {"AWS_SECRET_ACCESS_KEY": SECRET}
    healthy = Server.over(tmp_path / "ok", Storage(database, object_store.new_bucket(),
                                                   object_store), env=env).start()
    # a bucket that is not there: the instance runs, and says it is not healthy
    missing = Server.over(tmp_path / "missing", Storage(
        postgres.new_database(), "s3://no-such-bucket-here/registry", object_store),
        env=env).start(health=503)
    try:
        answer = httpx2.get(f"{healthy.url}/_/health")
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        assert answer.json() == {"status": "ok", "database": {"ok": True},
                                 "storage": {"ok": True}}

        sick = httpx2.get(f"{missing.url}/_/health")
        assert sick.json() == {"status": "unavailable", "database": {"ok": True},
                               "storage": {"ok": False, "error": "ClientError"}}
        # a request that needs the store: 503 naming the bucket, never the key
        name = unique_name("nobucket")
        account = missing.maintainer(name)
        client = missing.client(account.token)
        started = client.start_bytes(client.create(name, "1.0").json(),
                                     f"{name.replace('-', '_')}-1.0.tar.gz", b"x" * 100)
        refused = client.send_bytes(started.json(), b"x" * 100)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "storage_unavailable"
        assert "s3://no-such-bucket-here/registry/" in refused.json()["detail"]
        assert SECRET not in sick.text + refused.text

        # the database goes away under a running instance
        with psycopg.connect(database.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {database.rsplit('/', 1)[1]} WITH (FORCE)")
        down = wait_until(lambda: (answer := httpx2.get(f"{healthy.url}/_/health")
                                   ).status_code == 503 and answer, 30, "the health check")
        assert down.json()["database"]["ok"] is False and down.json()["storage"] == {"ok": True}
        assert "postgresql://" not in down.text and SECRET not in down.text
    finally:
        healthy.stop()
        missing.stop()
    assert SECRET not in healthy.log() + missing.log()


#: the upgrade step of issue 14, and the schema version a database has before it (found by
#: name: the step's number changes as other branches' steps are merged before it)
SERVICE_STEP = next(step for step in schema.UPGRADES if step.__name__.startswith("_service_"))
BEFORE_SERVICE = 1 + schema.UPGRADES.index(SERVICE_STEP)


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_version_before_gains_webhooks_and_the_outbox(
        backend_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    database = (request.getfixturevalue("postgres").new_database()
                if backend_name == "postgresql" else None)
    me = Principal.local()
    with Registry.open(tmp_path / "data", database) as registry:
        kept = registry.create_session(me, "upgraded-hooks", "1.0")
        with registry.db.write() as connection:  # back to what the version before had
            for table in (schema.attempts, schema.deliveries, schema.notifications,
                          schema.webhooks, schema.leases):
                table.drop(connection)
            connection.exec_driver_sql("DROP INDEX sessions_by_expiry")
            connection.exec_driver_sql("ALTER TABLE sessions DROP COLUMN warned_expires_at")
            connection.exec_driver_sql(
                f"UPDATE schema_version SET version = {BEFORE_SERVICE}")
    with Registry.open(tmp_path / "data", database) as registry:
        with registry.db.read() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {"webhooks", "notifications", "webhook_deliveries", "webhook_attempts",
                    "leases"} <= tables
            assert connection.exec_driver_sql(
                "SELECT version FROM schema_version").scalar() == SCHEMA_VERSION
        hook, secret = registry.add_webhook("upgraded-hooks", "https://hooks.example.com/x")
        assert registry.take_lease("sweep", "me", 60)
        assert registry.session(me, kept.id).status == "open"
        with registry.db.write() as connection:  # the step only adds what is missing
            SERVICE_STEP(connection)
        assert registry.webhooks("upgraded-hooks") == [hook] and secret
    if database is None:
        with sqlite3.connect(tmp_path / "data" / "registry.db") as db:
            assert db.execute("select version from schema_version").fetchall() == \
                [(SCHEMA_VERSION,)]
