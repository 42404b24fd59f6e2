"""Server memory while receiving a large file through PEP 694 ``http-post-bytes``, and while
inspecting it on completion.

Starts ``hatch-stage serve`` on 127.0.0.1 with a throw-away data directory, streams a
generated sdist (500 MB by default; never held in memory on either side) into a session,
completes it (the registry reads the whole file to check it is a well-formed sdist of the
release, scans it and scores the release), and samples the server's resident memory
(``/proc/<pid>/status``) all along. Prints the peak next to the file size; exits non-zero if
the server grew by more than ``--max-growth`` MB, i.e. if memory did not stay flat.

    .venv/bin/python benchmarks/upload.py [--size-mb 500] [--max-growth 64]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
import time
from dataclasses import dataclass

import httpx2
from _harness import make_token, memory_kib, scratch, sdist_chunks, serve

UPLOAD = {"Content-Type": "application/vnd.pypi.upload.v2+json"}
META = {"api-version": "2.0"}


@dataclass(frozen=True)
class Figures:
    """What one large upload cost the server."""

    size: int
    idle_kib: int
    peak_kib: int
    high_water_kib: int
    samples: int
    upload_seconds: float
    inspect_seconds: float

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.idle_kib) / 1024

    def report(self) -> None:
        print(f"file size:                  {self.size / 1e6:8.0f} MB")
        print(f"server RSS idle:            {self.idle_kib / 1024:8.1f} MiB")
        print(f"server RSS peak (sampled):  {self.peak_kib / 1024:8.1f} MiB   "
              f"({self.samples} samples)")
        print(f"server RSS high-water mark: {self.high_water_kib / 1024:8.1f} MiB   "
              "(VmHWM, whole life)")
        print(f"growth (upload, inspection): {self.growth_mib:7.1f} MiB")
        print(f"throughput:                 {self.size / 1e6 / self.upload_seconds:8.1f} MB/s")
        print(f"completion (inspection):    {self.inspect_seconds:8.1f} s")
        print(f"inspection / upload time:   {self.inspect_seconds / self.upload_seconds:8.2f}   "
              "(same run; upload = 1.00)")


def upload_and_measure(url: str, token: str, pid: int, size_mb: int) -> Figures:
    """Stream a generated ``size_mb`` MB sdist of ``bench`` 1.0 into the registry at ``url``
    (server process ``pid``) and complete it, sampling the server's memory all along."""
    payload = size_mb * 1_000_000
    http = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                         timeout=httpx2.Timeout(600, connect=10))
    print(f"generating the sha256 of a {size_mb} MB sdist ...", file=sys.stderr)
    digest, size = hashlib.sha256(), 0
    for chunk in sdist_chunks("bench", "1.0", payload):
        digest.update(chunk)
        size += len(chunk)
    session = http.post("/upload/2.0/", json={"meta": META, "name": "bench",
                                              "version": "1.0"}, headers=UPLOAD).json()
    file = http.post(session["links"]["upload"], headers=UPLOAD, json={
        "meta": META, "filename": "bench-1.0.tar.gz", "size": size,
        "hashes": {"sha256": digest.hexdigest()}, "mechanism": "http-post-bytes"}).json()
    idle = memory_kib(pid, "VmRSS")

    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(memory_kib(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    sent = http.post(file["mechanism"]["file_url"], content=sdist_chunks("bench", "1.0", payload),
                     headers={"Content-Type": "application/octet-stream"})
    elapsed = time.monotonic() - started
    inspecting = time.monotonic()
    completed = http.post(file["links"]["complete"], json={"meta": META}, headers=UPLOAD)
    inspected = time.monotonic() - inspecting
    done.set()
    sampler.join()
    if sent.status_code != 200 or completed.status_code != 201:
        raise SystemExit(f"upload failed: {sent.status_code} {sent.text[:200]} / "
                         f"{completed.status_code} {completed.text[:300]}")
    return Figures(size, idle, max(max(samples), idle), memory_kib(pid, "VmHWM"), len(samples),
                   elapsed, inspected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=500, help="file size in MB (10^6 bytes)")
    parser.add_argument("--max-growth", type=int, default=64,
                        help="fail if peak memory exceeds the idle server by more MB than this")
    options = parser.parse_args()
    with scratch() as data, serve(data) as server:
        token = make_token(data, "bench", role="stage")
        figures = upload_and_measure(server.url, token, server.process.pid, options.size_mb)
    figures.report()
    flat = figures.growth_mib <= options.max_growth
    print("memory stayed flat" if flat else f"memory grew by more than {options.max_growth} MB")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
