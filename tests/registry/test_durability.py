"""Must-show 7 (issue 8), and issue 14 with the files in a bucket: ``kill -9`` during an
upload. After a restart no partial file is served, finished uploads are intact, and the
session continues (the same file upload is sent again, completed and published)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
from stagekit import Server, sdist_bytes, unique_name, wait_until

SIZE = 48 * 1024 * 1024


def _send_partially(url: str, token: str, payload: bytes, sent: int) -> socket.socket:
    """Start a POST of ``payload`` but send only ``sent`` bytes of the body."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    sock.sendall(head.encode() + payload[:sent])
    return sock


def test_kill_during_upload_loses_nothing_finished(storage_factory, tmp_path: Path,
                                                    release_factory) -> None:
    server = Server.over(tmp_path / "data", storage_factory()).start()
    try:
        name = unique_name("durable")
        maintainer = server.maintainer(name)
        client = server.client(maintainer.token)
        wheel = release_factory(name, "1.0")[1]
        session = client.create(name, "1.0").json()
        client.upload(session, wheel)

        big = f"{name.replace('-', '_')}-1.0.tar.gz"
        payload = sdist_bytes(name, "1.0", os.urandom(SIZE))
        started = client.start_bytes(session, big, payload)
        assert started.status_code == 202, started.text
        file = started.json()

        sock = _send_partially(file["mechanism"]["file_url"], maintainer.token, payload,
                               len(payload) // 3)
        # in a bucket: the first parts of a multipart upload that is never completed
        wait_until(lambda: server.bytes_in_flight() > 0, 30, "the upload to reach the store")
        server.kill()
        with contextlib.suppress(OSError):
            sock.close()

        server.start()
        status = client.status(session)
        assert status["status"] == "open"
        assert status["files"][wheel.filename]["status"] == "completed"
        assert status["files"][big]["status"] == "pending"

        stage = session["links"]["stage"]
        page = httpx2.get(f"{stage}{name}/").text
        assert wheel.filename in page and big not in page
        assert httpx2.get(f"{stage}files/{big}").status_code == 404
        served = httpx2.get(f"{stage}files/{wheel.filename}")
        assert hashlib.sha256(served.content).hexdigest() == wheel.sha256
        assert hashlib.sha256(payload).hexdigest() not in server.stored_digests()

        # the session continues: the same file upload receives the bytes again
        assert client.send_bytes(file, payload).status_code == 200
        assert client.post(file["links"]["complete"]).status_code == 201
        assert client.publish(session, maintainer.otp()).status_code == 201
        live = httpx2.get(f"{server.url}/files/{big}")
        assert hashlib.sha256(live.content).hexdigest() == hashlib.sha256(payload).hexdigest()
    finally:
        server.stop()
