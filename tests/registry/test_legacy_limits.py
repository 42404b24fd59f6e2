"""Issue 11, item 3: ``/legacy/`` checks before it reads.

The form is read as it arrives: the token's project scope and the project's policy are checked
once the fields before the file are in, text fields are bounded, and the file stops at
``--max-file-size`` with 413. The requests here are written to a raw socket and left
unfinished on purpose: the registry must answer before the rest of the body comes (an
implementation that reads the whole form first never answers them)."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from stagekit import Server, module_of, sdist_bytes, unique_name

BOUNDARY = "hatchstagelimits"
#: how long the registry may take to answer an unfinished request
ANSWER_WITHIN = 30


def field(name: str, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            .encode() + data + b"\r\n")


def file_head(filename: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()


def answer_to_unfinished(server: Server, token: str, parts: Iterator[bytes],
                         declared: int, path: str = "/legacy/staged/") -> str:
    """Send the request line, headers declaring ``declared`` body bytes, and ``parts`` as
    long as the server reads them; return the status line of its answer."""
    credentials = base64.b64encode(f"__token__:{token}".encode()).decode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                      f"Authorization: Basic {credentials}\r\n"
                      f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode())
        try:
            for part in parts:
                sock.sendall(part)
        except OSError:  # the server answered and closed: it stopped reading, as it should
            pass
        answer = b""
        while b"\r\n" not in answer:
            received = sock.recv(65536)
            if not received:
                break
            answer += received
    return answer.split(b"\r\n", 1)[0].decode()


def megabytes(count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield b"\0" * (1 << 20)


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A registry that accepts files up to 1 MiB."""
    server = Server(tmp_path_factory.mktemp("limits") / "data", None,
                    extra=["--max-file-size", str(1 << 20)]).start()
    try:
        yield server
    finally:
        server.stop()


def test_a_token_for_another_project_is_refused_before_the_file(small_server: Server) -> None:
    mine, theirs = unique_name("mine"), unique_name("theirs")
    token = small_server.maintainer(mine).token

    def parts() -> Iterator[bytes]:
        yield field(":action", "file_upload") + field("name", theirs) + field("version", "1.0")
        yield file_head(f"{module_of(theirs)}-1.0.tar.gz")
        yield b"\0" * 4096  # and then nothing more of the 100 GB promised

    status = answer_to_unfinished(small_server, token, parts(), declared=100 << 30)
    assert status.startswith("HTTP/1.1 403"), status
    assert list((small_server.data / "blobs" / "tmp").iterdir()) == []


def test_a_file_over_the_limit_stops_at_the_limit(small_server: Server) -> None:
    name = unique_name("huge")
    token = small_server.maintainer(name).token

    def parts() -> Iterator[bytes]:
        yield field("name", name) + field("version", "1.0")
        yield file_head(f"{module_of(name)}-1.0.tar.gz")
        yield from megabytes(4)  # of 1 GB promised; the limit is 1 MiB

    status = answer_to_unfinished(small_server, token, parts(), declared=1 << 30)
    assert status.startswith("HTTP/1.1 413"), status
    assert list((small_server.data / "blobs" / "tmp").iterdir()) == []


@pytest.mark.parametrize(("name", "size"), [("summary", 17 << 10), ("description", 1025 << 10),
                                            ("license", 257 << 10), ("keywords", 8 << 20)])
def test_text_fields_are_bounded(small_server: Server, name: str, size: int) -> None:
    project = unique_name("wordy")
    token = small_server.maintainer(project).token

    def parts() -> Iterator[bytes]:
        yield field("name", project) + field("version", "1.0")
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
               .encode())
        yield from (b"a" * (1 << 16) for _ in range(size // (1 << 16) + 1))

    status = answer_to_unfinished(small_server, token, parts(), declared=1 << 30)
    assert status.startswith("HTTP/1.1 413"), status


def test_many_small_fields_are_bounded(small_server: Server) -> None:
    project = unique_name("fields")
    token = small_server.maintainer(project).token

    def parts() -> Iterator[bytes]:
        yield field("name", project) + field("version", "1.0")
        yield from (field("classifiers", "x" * 2000) for _ in range(1200))

    status = answer_to_unfinished(small_server, token, parts(), declared=1 << 30)
    assert status.startswith(("HTTP/1.1 400", "HTTP/1.1 413")), status


def test_the_file_must_come_after_name_and_version(small_server: Server) -> None:
    project = unique_name("backwards")
    token = small_server.maintainer(project).token

    def parts() -> Iterator[bytes]:
        yield file_head(f"{module_of(project)}-1.0.tar.gz") + b"\0" * 4096

    status = answer_to_unfinished(small_server, token, parts(), declared=1 << 30)
    assert status.startswith("HTTP/1.1 400"), status


def test_a_well_formed_upload_still_stages(small_server: Server, tmp_path: Path) -> None:
    """The same raw form, finished and within the limits, stages the file (with the fields a
    real client sends after it ignored)."""
    project = unique_name("complete")
    token = small_server.maintainer(project).token
    data = sdist_bytes(project, "1.0")
    body = (field(":action", "file_upload") + field("name", project) + field("version", "1.0")
            + field("description", "d" * (900 << 10)) + field("license", "l" * (200 << 10))
            + file_head(f"{module_of(project)}-1.0.tar.gz") + data + b"\r\n"
            + field("comment", "after the file") + f"--{BOUNDARY}--\r\n".encode())
    status = answer_to_unfinished(small_server, token, iter([body]), declared=len(body))
    assert status.startswith("HTTP/1.1 200"), status
