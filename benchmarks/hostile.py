"""Server memory and disk under hostile ``/legacy/`` requests, against the same server's idle
baseline and an honest upload in the same run (issue 11, item 3).

Starts ``hatch-stage serve`` on 127.0.0.1 (``--max-file-size`` 64 MB) with a throw-away data
directory and a stage token for the project ``bench`` only, then sends, each on a raw socket
while the server's resident memory is sampled (``/proc/<pid>/status``):

- honest:    a twine-like upload of a 32 MB sdist of ``bench`` (the reference cost);
- fields:    text fields of 8 MiB each (``--fields-mb`` in all; the old form reader kept up to
             500 of them in memory) naming the project ``bench``;
- scope:     a form for a project the token does not cover, promising a 10 GB file
             (``--file-mb``);
- too large: a file of ``bench`` promising as much, past ``--max-file-size``.

For each it prints what the server answered, how many bytes the client had sent when the
answer came (it stops sending then; a few MB sit in socket buffers), the server's resident
memory before the request and its peak during it, and what was left in the data directory.
Exits non-zero when a hostile request made the server grow by more than ``--max-growth`` MB
or read more than it should have.

    .venv/bin/python benchmarks/hostile.py [--fields-mb 400] [--max-growth 64]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from _harness import make_token, memory_kib, scratch, sdist_chunks, serve

BOUNDARY = "hatchstagehostile"
MAX_FILE = 64_000_000
MIB = 1 << 20


def field(name: str, value: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            .encode() + value + b"\r\n")


def file_head(filename: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()


@dataclass(frozen=True)
class Outcome:
    status: str
    sent: int
    seconds: float
    before_kib: int
    peak_kib: int
    leftover: int


class Sampler:
    """The server's resident memory, sampled every 10 ms while a request runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._done = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, memory_kib(self.pid, "VmRSS"))
            time.sleep(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def send(port: int, token: str, parts: Iterator[bytes], declared: int, pid: int,
         data: Path) -> Outcome:
    """Send a form (``declared`` bytes long) until the server answers; what it cost."""
    credentials = base64.b64encode(f"__token__:{token}".encode()).decode()
    sent, answer = 0, b""
    before = memory_kib(pid, "VmRSS")
    started = time.monotonic()
    with Sampler(pid) as sampler, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((f"POST /legacy/staged/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Authorization: Basic {credentials}\r\n"
                      f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode())
        try:
            for part in parts:
                sock.sendall(part)
                sent += len(part)
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered: stop, as a client does
        except OSError:
            pass  # the server closed the connection after answering
        sock.settimeout(600)
        while b"\r\n" not in answer:
            received = sock.recv(65536)
            if not received:
                break
            answer += received
    seconds = time.monotonic() - started
    leftover = sum(path.stat().st_size for path in (data / "blobs" / "tmp").rglob("*")
                   if path.is_file())
    return Outcome(answer.split(b"\r\n", 1)[0].decode() or "(no answer)", sent, seconds,
                   before, max(sampler.peak, before), leftover)


def honest(size: int) -> tuple[Iterator[bytes], int]:
    """A twine-like form with a ``size``-byte sdist of bench 1.0; its parts and length."""
    digest, length = hashlib.sha256(), 0
    for chunk in sdist_chunks("bench", "1.0", size):
        digest.update(chunk)
        length += len(chunk)
    head = (field(":action", b"file_upload") + field("protocol_version", b"1")
            + field("name", b"bench") + field("version", b"1.0")
            + field("sha256_digest", digest.hexdigest().encode())
            + field("description", b"An honest project. " * 2000)
            + file_head("bench-1.0.tar.gz"))
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def parts() -> Iterator[bytes]:
        yield head
        yield from sdist_chunks("bench", "1.0", size)
        yield tail

    return parts(), len(head) + length + len(tail)


def eight_mib_fields(total_mb: int) -> Iterator[bytes]:
    yield field("name", b"bench") + field("version", b"1.0")
    for index in range(total_mb // 8):
        yield f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{index}\"\r\n\r\n".encode()
        for _ in range(8):
            yield b"A" * MIB
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def big_file(project: str, size_mb: int) -> Iterator[bytes]:
    yield field("name", project.encode()) + field("version", b"1.0")
    yield file_head(f"{project}-1.0.tar.gz")
    for _ in range(size_mb):  # were it all read
        yield b"\0" * MIB
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def length(parts: Iterator[bytes]) -> int:
    """The Content-Length of a form (generated once to count it, never held)."""
    return sum(len(part) for part in parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fields-mb", type=int, default=400,
                        help="MiB of 8 MiB text fields in the hostile form")
    parser.add_argument("--honest-mb", type=int, default=32, help="the honest sdist, MB")
    parser.add_argument("--file-mb", type=int, default=10_000,
                        help="MiB the hostile forms promise (and send, if read) as their file")
    parser.add_argument("--max-growth", type=int, default=64,
                        help="fail if a hostile request grows the server by more MB than this")
    options = parser.parse_args()
    with scratch() as data, serve(data, "--max-file-size", str(MAX_FILE)) as server:
        token = make_token(data, "bench", role="stage")
        port, pid = int(server.url.rsplit(":", 1)[1]), server.process.pid
        idle = memory_kib(pid, "VmRSS")
        honest_parts, honest_length = honest(options.honest_mb * 1_000_000)
        runs = {
            "honest": (send(port, token, honest_parts, honest_length, pid, data),
                       honest_length),
            "fields": (send(port, token, eight_mib_fields(options.fields_mb),
                            length(eight_mib_fields(options.fields_mb)), pid, data), 0),
            "scope": (send(port, token, big_file("other", options.file_mb),
                           length(big_file("other", options.file_mb)), pid, data), 0),
            "too large": (send(port, token, big_file("bench", options.file_mb),
                               length(big_file("bench", options.file_mb)), pid, data),
                          MAX_FILE),
        }
        after = memory_kib(pid, "VmRSS")
    print(f"server RSS idle (baseline):      {idle / 1024:8.1f} MiB")
    print(f"{'request':10} {'answer':38} {'sent before answer':>19} {'RSS before':>11} "
          f"{'peak':>10} {'growth':>10} {'tmp left':>9} {'time':>7}")
    fine = True
    for name, (outcome, allowed) in runs.items():
        growth = (outcome.peak_kib - outcome.before_kib) / 1024
        print(f"{name:10} {outcome.status:38} {outcome.sent / 1e6:16.1f} MB "
              f"{outcome.before_kib / 1024:7.1f} MiB {outcome.peak_kib / 1024:6.1f} MiB "
              f"{growth:6.1f} MiB {outcome.leftover:7d} B {outcome.seconds:6.2f}s")
        if name != "honest":
            # the fields run may read its bounded fields (2 MiB) plus a socket buffer or two
            limit = allowed + 8 * MIB
            fine &= growth <= options.max_growth and outcome.sent <= limit + 64 * MIB \
                and outcome.leftover == 0 and not outcome.status.startswith("HTTP/1.1 2")
    print(f"server RSS after all:            {after / 1024:8.1f} MiB "
          f"({(after - idle) / 1024:+.1f} MiB against idle)")
    print("memory and disk stayed flat under hostile requests" if fine
          else "a hostile request made the server read, hold or keep too much")
    return 0 if fine else 1


if __name__ == "__main__":
    sys.exit(main())
