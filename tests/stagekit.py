"""Helpers for the registry and client tests: real servers on 127.0.0.1, PostgreSQL, built
distributions, the admin command line in-process, a small PEP 694 client, and a trusted-
publishing issuer (a key pair made here) that signs GitHub Actions-like OIDC tokens.

A plain module beside clitools.py, shared by tests/registry and tests/client."""

from __future__ import annotations

import base64
import contextlib
import glob
import hashlib
import io
import itertools
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pyotp
from clitools import HATCH_STAGE
from cryptography.hazmat.primitives.asymmetric import rsa

from hatch_stage import cli
from hatch_stage.models import Artifact
from hatch_stage.plugins.python_pack import build

UPLOAD_TYPE = "application/vnd.pypi.upload.v2+json"
META = {"meta": {"api-version": "2.0"}}
#: the issuer GitHub Actions puts into its OIDC tokens
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
#: the issuers of GitLab.com CI/CD jobs and of Google Cloud service accounts
GITLAB_ISSUER = "https://gitlab.com"
GOOGLE_ISSUER = "https://accounts.google.com"
_names = itertools.count(1)
#: :meth:`Upload.publish` default: approve the digest of the session as it is now
CURRENT = "current"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_name(prefix: str = "pkg") -> str:
    """A project name no other test on the same server uses."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def wait_until(check: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still there after 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_announcement(process: subprocess.Popen[str], timeout: float = 30.0) -> Any:
    """The JSON document ``process`` prints first (``serve --json``), within ``timeout`` s.

    A thread reads (a silent process would block a plain ``readline``), up to the document's
    closing line and no further, so later output stays for ``communicate``. A process that
    exits first, or stays silent, fails the test at once or at the deadline.
    """
    assert process.stdout is not None
    stream = process.stdout
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in iter(stream.readline, ""):
            lines.put(line)
            if line == "}\n":
                return
        lines.put("")  # the end of the output

    threading.Thread(target=read, daemon=True).start()
    text, deadline = "", time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            raise AssertionError(f"no JSON document within {timeout} s: {text!r}") from None
        if not line:
            raise AssertionError(f"the output ended before a JSON document: {text!r}")
        text += line
        if line == "}\n":
            return json.loads(text)


# distributions ----------------------------------------------------------------------------

def module_of(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def build_release(workdir: Path, name: str, version: str, marker: str = "") -> list[Artifact]:
    """[sdist, wheel] of a one-module project built by hatchling; the module says its version
    (and ``marker``, to build different files under the same names)."""
    root = workdir / f"{name}-{version}{marker}-src"
    package = root / "src" / module_of(name)
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.8"\n'
        f'description = "fixture {name}"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module_of(name)}"]\n')
    (package / "__init__.py").write_text(f'RELEASE = "{name} {version}{marker}"\n')
    out = workdir / f"{name}-{version}{marker}-dist"
    out.mkdir()
    # sdist first, then the wheel
    return sorted(build(root, out), key=lambda artifact: artifact.kind != "sdist")


def sdist_bytes(name: str, version: str, payload: bytes = b"", *,
                top: str | None = None, extra: dict[str, bytes] | None = None,
                metadata: str | None = None) -> bytes:
    """A minimal sdist (``.tar.gz``) of ``name`` ``version`` made here, carrying ``payload``
    as a data file; ``top``, ``extra`` members and ``metadata`` (PKG-INFO) can be changed to
    make malformed ones."""
    top = top if top is not None else f"{module_of(name)}-{version}"
    pkg_info = metadata if metadata is not None else (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    members = {f"{top}/PKG-INFO": pkg_info.encode(), f"{top}/data.bin": payload,
               **(extra or {})}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def wheel_bytes(name: str, version: str, tag: str = "py3-none-any", *,
                module: str = "", metadata_name: str | None = None,
                metadata_version: str | None = None, wheel_tag: str | None = None,
                tamper: bool = False) -> bytes:
    """A well-formed wheel of ``name`` ``version`` made here (one module saying ``module``);
    the keyword arguments make malformed ones: METADATA naming another project or version,
    WHEEL declaring other tags, or a module whose bytes no longer match RECORD."""
    stem = f"{module_of(name)}-{version}"
    dist_info = f"{stem}.dist-info"
    members = {
        f"{module_of(name)}/__init__.py": f'RELEASE = "{name} {version}{module}"\n'.encode(),
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: {metadata_name or name}\n"
                                  f"Version: {metadata_version or version}\n").encode(),
        f"{dist_info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: stagekit\n"
                               f"Root-Is-Purelib: true\nTag: {wheel_tag or tag}\n").encode(),
    }
    record = record_of(members, f"{dist_info}/RECORD")
    if tamper:  # the module changes after RECORD was written
        members[f"{module_of(name)}/__init__.py"] += b"import os  # added later\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.writestr(f"{dist_info}/RECORD", record)
    return out.getvalue()


def record_of(members: dict[str, bytes], record: str) -> bytes:
    """A wheel's RECORD listing ``members`` (and itself, as ``record``)."""
    lines = []
    for member, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{member},sha256={digest},{len(data)}")
    lines.append(f"{record},,")
    return ("\n".join(lines) + "\n").encode()


def stage_in_process(registry: Any, me: Any, name: str, version: str,
                     artifacts: Sequence[Artifact]) -> Any:
    """A session of ``name`` ``version`` on an in-process :class:`Registry`, every artifact
    uploaded and completed; returns the session's view."""
    session = registry.create_session(me, name, version)
    for artifact in artifacts:
        file = registry.start_file(me, session.id, artifact.filename, artifact.size,
                                   {"sha256": artifact.sha256})
        with artifact.path.open("rb") as stream:
            registry.receive_file(me, session.id, file.id, stream)
        assert registry.complete_file(me, session.id, file.id).status == "completed"
    return registry.session(me, session.id)


def pip_install(index_url: str, requirement: str, target: Path) -> subprocess.CompletedProcess[str]:
    """A real ``pip install`` from ``index_url`` into ``target`` (no cache, no deps)."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-deps",
         "--disable-pip-version-check", "--no-input", "--target", str(target),
         "--index-url", index_url, requirement],
        capture_output=True, text=True, timeout=180)


def installed_release(target: Path, name: str) -> str:
    return (target / module_of(name) / "__init__.py").read_text()


@contextlib.contextmanager
def pypiserver(packages: Path, *options: str) -> Iterator[str]:
    """A real pypiserver on 127.0.0.1 serving ``packages`` (uploads unauthenticated), as an
    upstream index to promote to; its URL. ``options`` go to ``pypi-server run``."""
    packages.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("pypi-server")), "run", "-i", "127.0.0.1",
         "-p", str(port), "-a", ".", "-P", ".", "--disable-fallback", *options, str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx2.get(f"{url}/simple/", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    try:
        wait_until(up, 30, "pypiserver")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def twine_upload(url: str, token: str, artifacts: Sequence[Artifact],
                 ) -> subprocess.CompletedProcess[str]:
    """A real ``twine upload`` with an API token."""
    return subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--repository-url", url, "-u", "__token__",
         "-p", token, "--non-interactive", "--disable-progress-bar", "--verbose",
         *(str(artifact.path) for artifact in artifacts)],
        capture_output=True, text=True, timeout=120)


# PostgreSQL -------------------------------------------------------------------------------

#: a directory holding initdb, pg_ctl and createdb, for machines without Debian's layout
POSTGRES_BINDIR = "HATCH_STAGE_TEST_PG_BINDIR"


def postgres_bindir() -> Path | None:
    chosen = os.environ.get(POSTGRES_BINDIR)
    if chosen:
        return Path(chosen) if Path(chosen, "initdb").is_file() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def in_ci() -> bool:
    """Whether a CI system runs the tests (CI=true, as GitHub Actions, GitLab and others set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@dataclass
class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1, run as an unprivileged user."""

    bindir: Path
    base: Path
    port: int
    user: str = "hsci"
    _databases: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "nobody", "--"] if os.getuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120,
                       cwd=self.base)

    @classmethod
    def start(cls) -> Postgres:
        bindir = postgres_bindir()
        assert bindir is not None
        # PostgreSQL refuses to run as root; the cluster belongs to nobody
        base = Path(tempfile.mkdtemp(prefix="hatch-stage-pg-"))
        os.chmod(base, 0o755)
        if os.getuid() == 0:
            shutil.chown(base, "nobody", "nogroup")
        server = cls(bindir, base, free_port())
        server._run(str(bindir / "initdb"), "-D", str(base / "data"), "-U", server.user,
                    "--auth=trust", "-E", "UTF8", "--no-sync")
        server._run(str(bindir / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "log"),
                    "-w", "-t", "60", "start", "-o",
                    f"-h 127.0.0.1 -p {server.port} -k {base} -F -c max_connections=200")
        return server

    def new_database(self) -> str:
        """A fresh database's URL, so every server starts empty."""
        name = f"hs{next(self._databases)}"
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", self.user, name)
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.base / "data"), "-m",
                      "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


# S3 -------------------------------------------------------------------------------------

@dataclass
class ObjectStore:
    """moto's server mode on 127.0.0.1: a real S3 HTTP API, where the registry keeps its files
    as it would in a bucket. The stand-in is moto because AWS itself cannot be reached from
    here (the tests talk only to this machine)."""

    port: int
    process: subprocess.Popen[bytes]
    _buckets: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> ObjectStore:
        port = free_port()
        log = Path(tempfile.mkdtemp(prefix="hatch-stage-moto-")) / "moto.log"
        with log.open("wb") as output:
            process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                        "-p", str(port)], stdout=output, stderr=output)
        store = cls(port, process)

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"moto exited: {log.read_text(errors='replace')}")
            try:
                return httpx2.get(store.endpoint, timeout=1).status_code < 500
            except httpx2.TransportError:
                return False

        wait_until(answers, 60, "moto's S3 server to answer")
        return store

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """How the AWS tools (and so the registry) find this S3: the environment only, never
        the machine's own ~/.aws files or an instance role."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"}

    def client(self) -> Any:
        import boto3

        with environment(self.env):
            return boto3.session.Session().client("s3")

    def new_bucket(self) -> str:
        """A fresh bucket's ``--blobs`` URL (with a prefix, as an operator would use)."""
        bucket = f"hatch-stage-{os.getpid()}-{next(self._buckets)}"
        self.client().create_bucket(Bucket=bucket)
        return f"s3://{bucket}/registry"

    def stop(self) -> None:
        stop_process(self.process)


@dataclass(frozen=True)
class Storage:
    """Where a test registry keeps its data: a database (None: SQLite in the data directory)
    and a blob store (None: ``DATA/blobs``; ``s3://...`` in ``store``)."""

    database: str | None = None
    blobs: str | None = None
    store: ObjectStore | None = None


# the registry server --------------------------------------------------------------------

@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``variables`` set, for the length of the block."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class Server:
    """``hatch-stage serve`` in a subprocess, plus ``admin`` on the same storage."""

    data: Path
    database: str | None
    port: int = field(default_factory=free_port)
    extra: Sequence[str] = ()
    process: subprocess.Popen[bytes] | None = None
    #: environment variables the server gets on top of this process's
    env: dict[str, str] = field(default_factory=dict)
    #: ``--blobs``: None keeps the files in ``DATA/blobs``
    blobs: str | None = None
    #: the S3 stand-in ``blobs`` lives in
    store: ObjectStore | None = None

    @classmethod
    def over(cls, data: Path, storage: Storage, **options: Any) -> Server:
        """A server (not started) keeping its data in ``storage``."""
        env = {**(storage.store.env if storage.store else {}), **options.pop("env", {})}
        return cls(data, storage.database, blobs=storage.blobs, store=storage.store, env=env,
                   **options)

    @property
    def storage(self) -> Storage:
        return Storage(self.database, self.blobs, self.store)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def storage_args(self) -> list[str]:
        return (["--data", str(self.data)] + (["--database", self.database] if self.database
                                              else [])
                + (["--blobs", self.blobs] if self.blobs else []))

    # what is in the blob store, wherever it is ------------------------------------------

    def _bucket(self) -> tuple[Any, str, str]:
        assert self.store is not None and self.blobs is not None
        bucket, _, prefix = self.blobs.removeprefix("s3://").partition("/")
        return self.store.client(), bucket, f"{prefix}/" if prefix else ""

    def stored_digests(self) -> set[str]:
        """The sha256 of every blob stored (completed, verified files)."""
        if self.store is None:
            return {path.name for path in (self.data / "blobs" / "sha256").glob("*/*/*")}
        client, bucket, prefix = self._bucket()
        listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}sha256/")
        return {item["Key"].rsplit("/", 1)[-1] for item in listed.get("Contents", [])}

    def damage_blob(self, sha256: str, keep: int | None) -> None:
        """Break a stored blob: delete it (``keep`` None) or cut it to ``keep`` bytes."""
        if self.store is None:
            blob = next((self.data / "blobs" / "sha256").glob(f"*/*/{sha256}"))
            if keep is None:
                blob.unlink()
            else:
                blob.write_bytes(blob.read_bytes()[:keep])
            return
        client, bucket, prefix = self._bucket()
        key = f"{prefix}sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        if keep is None:
            client.delete_object(Bucket=bucket, Key=key)
        else:
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            client.put_object(Bucket=bucket, Key=key, Body=body[:keep])

    def bytes_in_flight(self) -> int:
        """How many bytes of unfinished uploads the store holds (temporary files, parts of
        multipart uploads)."""
        if self.store is None:
            return sum(path.stat().st_size for path in (self.data / "blobs" / "tmp").glob("*.part"))
        client, bucket, prefix = self._bucket()
        total = 0
        for upload in client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get(
                "Uploads", []):
            parts = client.list_parts(Bucket=bucket, Key=upload["Key"],
                                      UploadId=upload["UploadId"])
            total += sum(part["Size"] for part in parts.get("Parts", []))
        return total

    def leftovers(self) -> list[str]:
        """What unfinished or refused uploads left in the store (should be nothing)."""
        if self.store is None:
            return [path.name for path in (self.data / "blobs" / "tmp").iterdir()]
        client, bucket, prefix = self._bucket()
        uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        temporary = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}tmp/")
        return [item["Key"] for item in [*uploads, *temporary.get("Contents", [])]]

    def start(self, *, health: int = 200) -> Server:
        """Start the server and wait until ``GET /_/health`` answers ``health``."""
        log = (self.data.parent / f"{self.data.name}-server.log").open("ab")
        self.process = subprocess.Popen(
            [HATCH_STAGE, "serve", "--port", str(self.port), *self.storage_args, *self.extra],
            stdout=log, stderr=log, env={**os.environ, **self.env})
        log.close()

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log()}")
            try:
                return httpx2.get(f"{self.url}/_/health", timeout=1).status_code == health
            except httpx2.TransportError:
                return False

        wait_until(healthy, 30, "the registry to answer")
        return self

    def log(self) -> str:
        return (self.data.parent / f"{self.data.name}-server.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def kill(self) -> None:
        """``kill -9``: no shutdown, no cleanup."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def admin(self, *args: str) -> Any:
        """``hatch-stage admin ... --json`` in-process; returns ``data`` of the envelope."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out), environment(self.env):
            status = cli.main(["admin", *args, *self.storage_args, "--json"])
        document = json.loads(out.getvalue())
        assert status == 0 and document["success"], document
        return document["data"]

    def admin_refuses(self, *args: str) -> bool:
        """Whether ``hatch-stage admin ... --json`` (in-process) refuses, with its error
        envelope and a non-zero exit."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out), environment(self.env):
            status = cli.main(["admin", *args, *self.storage_args, "--json"])
        document = json.loads(out.getvalue())
        return status != 0 and document["success"] is False and bool(document["error"])

    def admin_cli(self, *args: str, stdin: str = "") -> Any:
        """The real ``hatch-stage admin ... --json`` in a subprocess; returns the envelope."""
        completed = subprocess.run([HATCH_STAGE, "admin", *args, *self.storage_args, "--json"],
                                   input=stdin, capture_output=True, text=True, timeout=60,
                                   env={**os.environ, **self.env})
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return json.loads(completed.stdout)

    def maintainer(self, project: str, role: str = "maintain") -> Account:
        """A new user with TOTP and a token for ``project``."""
        user = unique_name("user")
        secret = self.admin("user", "add", user)["totp_secret"]
        token = self.admin("token", "create", "--user", user, "--project", project,
                           "--role", role)["token"]
        return Account(user, token, secret)

    def client(self, token: str | None = None) -> Upload:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Upload(httpx2.Client(base_url=self.url, headers=headers, timeout=60))


@dataclass
class Account:
    user: str
    token: str
    totp_secret: str

    def otp(self, steps_ahead: int = 0) -> str:
        """The code of the current TOTP step (or a later one, to get a fresh unused code)."""
        return pyotp.TOTP(self.totp_secret).at(time.time() + 30 * steps_ahead)


@dataclass
class Upload:
    """A minimal PEP 694 client over httpx2."""

    http: httpx2.Client

    def post(self, url: str, document: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> httpx2.Response:
        return self.http.post(url, json={**META, **(document or {})},
                              headers={"Content-Type": UPLOAD_TYPE, **(headers or {})})

    def create(self, name: str, version: str) -> httpx2.Response:
        return self.post("/upload/2.0/", {"name": name, "version": version})

    def start_file(self, session: dict[str, Any], artifact: Artifact,
                   **overrides: Any) -> httpx2.Response:
        return self.post(session["links"]["upload"], {
            "filename": artifact.filename, "size": artifact.size,
            "hashes": {"sha256": artifact.sha256}, "mechanism": "http-post-bytes",
            **overrides})

    def start_bytes(self, session: dict[str, Any], filename: str,
                    data: bytes) -> httpx2.Response:
        """Start the upload of ``data`` (made here, not a built artifact) as ``filename``."""
        return self.post(session["links"]["upload"], {
            "filename": filename, "size": len(data),
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "mechanism": "http-post-bytes"})

    def upload_bytes(self, session: dict[str, Any], filename: str,
                     data: bytes) -> httpx2.Response:
        """Start, send and complete ``data`` as ``filename``; the answer to complete."""
        started = self.start_bytes(session, filename, data)
        assert started.status_code == 202, started.text
        file = started.json()
        assert self.send_bytes(file, data).status_code == 200
        return self.post(file["links"]["complete"])

    def send_bytes(self, file: dict[str, Any], content: Any) -> httpx2.Response:
        return self.http.post(file["mechanism"]["file_url"], content=content,
                              headers={"Content-Type": "application/octet-stream"})

    def upload(self, session: dict[str, Any], artifact: Artifact) -> dict[str, Any]:
        """Start, send and complete one file; returns the completed file document."""
        started = self.start_file(session, artifact)
        assert started.status_code == 202, started.text
        file = started.json()
        with artifact.path.open("rb") as stream:
            sent = self.send_bytes(file, stream.read())
        assert sent.status_code == 200, sent.text
        completed = self.post(file["links"]["complete"])
        assert completed.status_code == 201, completed.text
        return dict(completed.json())

    def stage(self, name: str, version: str, artifacts: Sequence[Artifact]) -> dict[str, Any]:
        """Create a session and upload every artifact; returns the session document."""
        created = self.create(name, version)
        assert created.status_code == 201, created.text
        session = created.json()
        for artifact in artifacts:
            self.upload(session, artifact)
        return self.status(session)

    def status(self, session: dict[str, Any]) -> dict[str, Any]:
        response = self.http.get(session["links"]["session"])
        assert response.status_code == 200, response.text
        return dict(response.json())

    def publish(self, session: dict[str, Any], otp: str | None = None,
                digest: str | None = CURRENT, **extra: Any) -> httpx2.Response:
        """Publish, sending the release digest this registry requires: by default that of
        the session's files now (None sends none)."""
        if digest == CURRENT:
            current = self.http.get(session["links"]["session"])
            digest = release_digest(current.json() if current.status_code == 200 else session)
        body = {**({"release-digest": digest} if digest is not None else {}), **extra}
        return self.post(session["links"]["publish"], body,
                         headers={"X-Hatch-Stage-OTP": otp} if otp else None)

    def cancel(self, session: dict[str, Any], otp: str | None = None) -> httpx2.Response:
        return self.http.delete(session["links"]["session"],
                                headers={"X-Hatch-Stage-OTP": otp} if otp else None)


def release_digest(session: dict[str, Any]) -> str:
    """The release digest of a session document, computed as docs/registry.md defines it
    (independently of hatch-stage's own code): sha256 of ``<filename> <sha256>\\n`` lines of
    the completed files, sorted by file name."""
    lines = "".join(f"{name} {entry['hashes']['sha256']}\n"
                    for name, entry in sorted(session["files"].items())
                    if entry["status"] == "completed")
    return hashlib.sha256(lines.encode()).hexdigest()


# trusted publishing ------------------------------------------------------------------------

def issuer_keys(directory: Path) -> tuple[Any, Path]:
    """A fresh RSA key and the JWKS file that publishes its public half (kid ``test-key``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "test-key", "alg": "RS256",
                                          "use": "sig"}]}))
    return key, jwks


def signed_jwt(key: Any, issuer: str, claims: dict[str, Any], *, audience: str = "hatch-stage",
               lifetime: int = 300) -> str:
    """A JWT from ``issuer`` with ``claims`` (a claim set to None is left out), signed by the
    test issuer's key, current for ``lifetime`` seconds."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + lifetime,
              "jti": str(uuid.uuid4()), **claims}
    present = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(present, key, algorithm="RS256", headers={"kid": "test-key"})


def github_jwt(key: Any, repository: str, *, audience: str = "hatch-stage",
               lifetime: int = 300, environment: str = "release", **extra: Any) -> str:
    """An OIDC token with GitHub Actions' claims for ``repository``'s release.yml workflow."""
    return signed_jwt(key, GITHUB_ISSUER, {
        "sub": f"repo:{repository}:environment:{environment}",
        "repository": repository, "repository_owner": repository.split("/")[0],
        "job_workflow_ref": f"{repository}/.github/workflows/release.yml@refs/tags/v1",
        "environment": environment, **extra}, audience=audience, lifetime=lifetime)


def gitlab_jwt(key: Any, project: str, ci_file: str = ".gitlab-ci.yml", *,
               environment: str | None = "production", **extra: Any) -> str:
    """An OIDC token with GitLab CI/CD's claims (``id_tokens``) for a job of ``project``
    running the pipeline defined in ``ci_file`` on main."""
    return signed_jwt(key, GITLAB_ISSUER, {
        "sub": f"project_path:{project}:ref_type:branch:ref:main",
        "project_path": project, "namespace_path": project.rpartition("/")[0],
        "ci_config_ref_uri": f"gitlab.com/{project}//{ci_file}@refs/heads/main",
        "ref": "main", "ref_type": "branch", "environment": environment, **extra})


def google_jwt(key: Any, email: str, **extra: Any) -> str:
    """A Google ID token of a service account (Google's carry no ``jti``)."""
    return signed_jwt(key, GOOGLE_ISSUER, {
        "sub": "112233445566778899000", "email": email, "email_verified": True,
        "azp": "112233445566778899000", "jti": None, **extra})
