"""The registry under concurrent load, on one instance and on two, and the latency of
kept-alive connections (issue 14, must-shows 4 and 6).

Everything runs on 127.0.0.1: ``hatch-stage serve`` processes, a PostgreSQL cluster started
here from Debian's binaries and moto's S3 server (the object-storage stand-in; AWS cannot be
reached from here). Three parts, in one run:

1. **Latency on kept-alive connections.** One server (SQLite), measured twice: *after*, as
   shipped; *before*, the same server with its listening socket created without naming
   ``IPPROTO_TCP`` (``bind`` monkeypatched in the server process), which is how it was before
   the fix: asyncio then never sets ``TCP_NODELAY`` on accepted connections. For each: the
   p50 of ``GET /simple/``, of a PEP 694 status call (``GET`` of a session) and of an
   unauthenticated ``POST /upload/2.0/`` (a body the client sends: a stall on the client's
   side would show there), each on one kept-alive connection and on fresh connections; and
   the wall time of ``hatch-stage publish`` of a two-file release (sdist and wheel), median of
   ``--publish-repeat``. Kept-alive must be within 2x of fresh after the fix.
2. **Concurrent staging and approval.** ``--clients`` threads (32), each with its own
   connection(s), staging and approving small releases (create, start + bytes + complete for
   an sdist and a wheel, status, publish with a fresh one-time password) for ``--seconds``,
   against: one instance on SQLite with a blob directory (the baseline), one instance on
   PostgreSQL with the files in a bucket, and two such instances behind a round-robin (every
   request to the next instance). Prints sessions per minute, p50/p95 of every call, errors
   (any unexpected answer; must be 0) and the servers' memory, with ratios to the baseline.
3. **A 500 MB upload through object storage** (``--upload-mb``): the server's memory while
   it streams into the bucket and inspects the file (benchmarks/upload.py's measurement).

Exits non-zero when a kept-alive call is more than 2x its fresh-connection time, when a load
run had errors, or when the large upload grew the server by more than ``--max-growth`` MB.

    .venv/bin/python benchmarks/load.py [--clients 32] [--seconds 45] [--upload-mb 500]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import itertools
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pyotp
from _harness import HATCH_STAGE, measure, memory_kib, ratio, scratch
from upload import upload_and_measure

# the test helpers start PostgreSQL and moto and make small distributions; one copy of them
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stagekit import (
    ObjectStore,
    Postgres,
    Storage,
    environment,
    free_port,
    sdist_bytes,
    wait_until,
    wheel_bytes,
)

from hatch_stage.registry import Registry

UPLOAD_TYPE = {"Content-Type": "application/vnd.pypi.upload.v2+json"}
#: maintainers per client: each approves at most once per TOTP step (30 s), so a client can
#: approve this many releases per step before it waits (printed when it did)
APPROVERS = 12
META = {"meta": {"api-version": "2.0"}}
#: the server process: ``hatch-stage`` itself, or (``before``) with ``bind`` as it was
SERVER = """
import socket, sys
from hatch_stage.registry import server
if sys.argv.pop(1) == "before":
    def bind(host, port):  # the socket as it was created before the fix: no IPPROTO_TCP
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
        return sock
    server.bind = bind
from hatch_stage.cli import main
sys.exit(main(sys.argv[1:]))
"""


# servers ------------------------------------------------------------------------------------

@dataclass
class Instance:
    """One ``hatch-stage serve`` process."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def storage_args(data: Path, storage: Storage) -> list[str]:
    return (["--data", str(data)] + (["--database", storage.database] if storage.database
                                     else [])
            + (["--blobs", storage.blobs] if storage.blobs else []))


def storage_env(storage: Storage) -> dict[str, str]:
    return storage.store.env if storage.store else {}


@contextlib.contextmanager
def serving(data: Path, storage: Storage, *, before: bool = False,
            count: int = 1) -> Iterator[list[Instance]]:
    """``count`` servers over ``storage`` (each its own data directory), healthy on entry."""
    started: list[Instance] = []
    try:
        for number in range(count):
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-c", SERVER, "before" if before else "after", "serve",
                 "--port", str(port), "--log-level", "warning",
                 *storage_args(data / f"instance{number}", storage)],
                env={**os.environ, **storage_env(storage)}, stdout=subprocess.DEVNULL)
            instance = Instance(f"http://127.0.0.1:{port}", process)
            started.append(instance)

            def healthy(instance: Instance = instance) -> bool:
                if instance.process.poll() is not None:
                    raise SystemExit(f"the server on {instance.url} exited")
                with contextlib.suppress(httpx2.TransportError):
                    return httpx2.get(f"{instance.url}/_/health", timeout=2).status_code == 200
                return False

            wait_until(healthy, 60, f"the server on {instance.url}")
        yield started
    finally:
        for instance in started:
            instance.process.terminate()
        for instance in started:
            instance.process.wait(30)


@dataclass(frozen=True)
class Maintainer:
    token: str
    secret: str


def maintainers(data: Path, storage: Storage, projects: Sequence[str],
                per_project: int) -> dict[str, list[Maintainer]]:
    """Users with TOTP and maintain tokens, made in-process on the same storage."""
    made: dict[str, list[Maintainer]] = defaultdict(list)
    with environment(storage_env(storage)), \
            Registry.open(data / "instance0", storage.database, blobs=storage.blobs) as registry:
        for project in projects:
            for number in range(per_project):
                user = registry.accounts.add_user(f"{project}-{number}")
                token = registry.accounts.create_token(user.name, [project], "maintain")
                made[project].append(Maintainer(token.token, user.totp_secret))
    return made


# part 1: latency on kept-alive connections ---------------------------------------------------

def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def timed(call: Callable[[], httpx2.Response], expected: int) -> float:
    started = time.perf_counter()
    answer = call()
    took = time.perf_counter() - started
    if answer.status_code != expected:
        raise SystemExit(f"expected {expected}, got {answer.status_code}: {answer.text[:200]}")
    return took


def call_latency(url: str, token: str, session_url: str, requests: int,
                 ) -> dict[str, tuple[float, float]]:
    """p50 in ms of each call, (kept-alive, fresh connections). A fresh connection is the
    same client sending ``Connection: close``, so both differ only in the connection."""
    auth = {"Authorization": f"Bearer {token}"}
    calls: dict[str, tuple[Callable[..., httpx2.Response], int]] = {
        "GET /simple/": (lambda http, **more: http.get("/simple/", **more), 200),
        "GET session (PEP 694 status)": (lambda http, headers: http.get(
            session_url, headers={**auth, **headers}), 200),
        "POST /upload/2.0/ unauthenticated": (lambda http, headers: http.post(
            "/upload/2.0/", json={**META, "name": "x", "version": "1"},
            headers={**UPLOAD_TYPE, **headers}), 401),
    }
    figures = {}
    with httpx2.Client(base_url=url, timeout=30) as http:
        for name, (call, expected) in calls.items():
            kept = functools.partial(call, http, headers={})
            timed(kept, expected)  # opens the connection
            alive = [timed(kept, expected) for _ in range(requests)]
            fresh = [timed(functools.partial(call, http, headers={"Connection": "close"}),
                           expected) for _ in range(requests)]
            figures[name] = (p50(alive), p50(fresh))
    return figures


def publish_once(url: str, token: str, work: Path, version: str) -> float:
    """Wall time of ``hatch-stage publish SDIST WHEEL`` of a new two-file release."""
    folder = work / f"publish-{version}-{free_port()}"
    folder.mkdir(parents=True)
    sdist = folder / f"latency-{version}.tar.gz"
    wheel = folder / f"latency-{version}-py3-none-any.whl"
    sdist.write_bytes(sdist_bytes("latency", version, b"data"))
    wheel.write_bytes(wheel_bytes("latency", version))
    run = measure([HATCH_STAGE, "publish", str(sdist), str(wheel), "--registry", url, "--yes",
                   "--json"], env={"HATCH_STAGE_TOKEN": token}, cwd=folder)
    run.check(f"hatch-stage publish to {url}")
    return run.seconds


def latency(work: Path, requests: int, repeat: int) -> bool:
    print("\n== 1. latency on kept-alive connections (one server, SQLite) ==")
    rows: dict[str, dict[str, tuple[float, float]]] = {}
    publish: dict[str, list[float]] = {"before": [], "after": []}
    storage = Storage()
    with serving(work / "latency-before", storage, before=True) as [before], \
            serving(work / "latency-after", storage) as [after]:
        tokens = {}
        for variant, server in (("before", before), ("after", after)):
            data = work / f"latency-{variant}"
            maintainer = maintainers(data, storage, ["latency"], 1)["latency"][0]
            tokens[variant] = maintainer.token
            http = httpx2.Client(base_url=server.url, timeout=30,
                                 headers={"Authorization": f"Bearer {maintainer.token}",
                                          **UPLOAD_TYPE})
            session = http.post("/upload/2.0/", json={**META, "name": "latency",
                                                      "version": "0.1"}).json()
            rows[variant] = call_latency(server.url, maintainer.token,
                                         session["links"]["session"], requests)
        # the publishes alternate, so a busy moment of the machine falls on both alike
        for number in range(repeat):
            for variant, server in (("before", before), ("after", after)):
                publish[variant].append(publish_once(server.url, tokens[variant], work,
                                                     f"1.0.{number}"))
    label = {"before": "before (listening socket without IPPROTO_TCP)",
             "after": "after (as shipped)"}
    within = True
    print(f"{'':46} {'kept-alive p50':>15} {'fresh p50':>10} {'kept/fresh':>11}")
    for variant in ("before", "after"):
        print(label[variant])
        for name, (alive, fresh) in rows[variant].items():
            print(f"  {name:44} {alive:11.2f} ms {fresh:7.2f} ms {ratio(alive, fresh):>11}")
            if variant == "after" and alive > 2 * fresh:
                within = False
    saved = statistics.median(b - a for b, a in zip(publish["before"], publish["after"],
                                                     strict=True))
    before_s, after_s = statistics.median(publish["before"]), statistics.median(publish["after"])
    print(f"hatch-stage publish of a two-file release (sdist and wheel), {repeat} each, "
          "alternating:")
    print(f"  median before {before_s:.2f} s, after {after_s:.2f} s, after/before "
          f"{ratio(after_s, before_s)}; median saving per publish {saved:.2f} s")
    print("kept-alive calls are within 2x of fresh connections" if within
          else "a kept-alive call is more than 2x slower than on a fresh connection")
    return within


# part 2: concurrent staging and approval -----------------------------------------------------

@dataclass
class Tally:
    """What the clients of one run saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    published: int = 0
    #: how often a client waited for the next TOTP step (its approvers all used)
    waits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, name: str, expected: int, send: Callable[..., httpx2.Response],
             *args: object, **kwargs: object) -> httpx2.Response | None:
        """``send(*args, **kwargs)`` timed; the answer, or None (counted as an error) when it
        is not ``expected``."""
        started = time.perf_counter()
        try:
            answer = send(*args, **kwargs)
        except httpx2.HTTPError as error:
            with self.lock:
                self.errors.append(f"{name}: {type(error).__name__}")
            return None
        took = time.perf_counter() - started
        with self.lock:
            self.latencies[name].append(took)
            if answer.status_code != expected:
                self.errors.append(f"{name}: {answer.status_code} {answer.text[:120]}")
                return None
        return answer


class Approver:
    """The client's maintainers, each code used once: a user approves at most once per
    30-second TOTP step, so the client rotates through several."""

    def __init__(self, accounts: list[Maintainer], tally: Tally) -> None:
        self.accounts = accounts
        self.last_step = [-1] * len(accounts)
        self.tally = tally

    def code(self) -> tuple[Maintainer, str]:
        while True:
            now = time.time()
            step = int(now // 30)
            for index, account in enumerate(self.accounts):
                if self.last_step[index] < step:
                    self.last_step[index] = step
                    return account, pyotp.TOTP(account.secret).at(now)
            with self.tally.lock:
                self.tally.waits += 1
            time.sleep(30 - now % 30 + 0.05)


def stage_and_approve(project: str, version: str, http: Callable[[], httpx2.Client],
                      approver: Approver, tally: Tally) -> bool:
    """One release: create, two files (start, bytes, complete), status, publish."""
    created = tally.call("create", 201, http().post, "/upload/2.0/",
                         json={**META, "name": project, "version": version})
    if created is None:
        return False
    session = created.json()
    stem = f"{project.replace('-', '_')}-{version}"
    files = {f"{stem}.tar.gz": sdist_bytes(project, version, b"x" * 2048),
             f"{stem}-py3-none-any.whl": wheel_bytes(project, version)}
    for filename, content in files.items():
        started = tally.call("start file", 202, http().post, session["links"]["upload"], json={
            **META, "filename": filename, "size": len(content),
            "hashes": {"sha256": hashlib.sha256(content).hexdigest()},
            "mechanism": "http-post-bytes"})
        if started is None:
            return False
        file = started.json()
        if tally.call("send bytes", 200, http().post, file["mechanism"]["file_url"],
                      content=content, headers={"Content-Type": "application/octet-stream"}
                      ) is None or tally.call("complete", 201, http().post,
                                              file["links"]["complete"], json=META) is None:
            return False
    status = tally.call("status", 200, http().get, session["links"]["session"])
    if status is None:
        return False
    account, code = approver.code()
    return tally.call("publish", 201, http().post, session["links"]["publish"],
                      json={**META, "release-digest": status.json()["release-digest"]},
                      headers={"Authorization": f"Bearer {account.token}",
                               "X-Hatch-Stage-OTP": code}) is not None


def client_loop(index: int, urls: list[str], accounts: list[Maintainer], deadline: float,
                tally: Tally) -> None:
    """Stage and approve releases of the project ``load-<index>`` until ``deadline``."""
    approver = Approver(accounts, tally)
    headers = {"Authorization": f"Bearer {accounts[0].token}", **UPLOAD_TYPE}
    clients = [httpx2.Client(base_url=url, timeout=120, headers=headers) for url in urls]
    turns = itertools.cycle(clients)  # every request to the next instance, as a balancer would
    release = 0
    while time.monotonic() < deadline:
        release += 1
        if stage_and_approve(f"load-{index}", f"1.{release}", turns.__next__, approver, tally):
            with tally.lock:
                tally.published += 1
    for client in clients:
        client.close()


@dataclass(frozen=True)
class LoadRun:
    name: str
    tally: Tally
    seconds: float
    idle_kib: list[int]
    peak_kib: list[int]

    @property
    def per_minute(self) -> float:
        return self.tally.published / self.seconds * 60


def load(work: Path, name: str, storage: Storage, count: int, clients: int,
         seconds: float) -> LoadRun:
    data = work / name.replace(" ", "-").replace(",", "")
    projects = [f"load-{index}" for index in range(clients)]
    with serving(data, storage, count=count) as servers:
        accounts = maintainers(data, storage, projects, APPROVERS)
        idle = [memory_kib(server.pid, "VmRSS") for server in servers]
        peaks = list(idle)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for position, server in enumerate(servers):
                    peaks[position] = max(peaks[position], memory_kib(server.pid, "VmRSS"))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tally = Tally()
        started = time.monotonic()
        deadline = started + seconds
        threads = [threading.Thread(target=client_loop, args=(
            index, [server.url for server in servers], accounts[f"load-{index}"], deadline,
            tally)) for index in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
    return LoadRun(name, tally, elapsed, idle, peaks)


def report(runs: list[LoadRun], clients: int) -> bool:
    print(f"\n== 2. {clients} concurrent clients staging and approving small releases ==")
    baseline = runs[0]
    calls = list(baseline.tally.latencies)
    for run in runs:
        idle = " + ".join(f"{kib / 1024:.0f}" for kib in run.idle_kib)
        peak = " + ".join(f"{kib / 1024:.0f}" for kib in run.peak_kib)
        print(f"\n{run.name}: {run.tally.published} sessions in {run.seconds:.0f} s = "
              f"{run.per_minute:.0f} sessions/minute ({ratio(run.per_minute, baseline.per_minute)}"
              f" of the baseline); errors: {len(run.tally.errors)}")
        print(f"  server RSS MiB: idle {idle}, peak {peak}")
        if run.tally.waits:
            print(f"  clients waited {run.tally.waits} times for a TOTP step: the rate is a "
                  "floor")
        print(f"  {'call':12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p50 vs baseline':>16}")
        for call in calls:
            samples = sorted(run.tally.latencies.get(call, []))
            if not samples:
                continue
            median = statistics.median(samples) * 1000
            p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))] * 1000
            base = statistics.median(baseline.tally.latencies[call]) * 1000
            print(f"  {call:12} {len(samples):6} {median:8.1f} {p95:8.1f} "
                  f"{ratio(median, base):>16}")
        for error in run.tally.errors[:5]:
            print(f"  error: {error}")
    return all(not run.tally.errors for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=45, help="length of each load run")
    parser.add_argument("--requests", type=int, default=200,
                        help="requests per latency figure (part 1)")
    parser.add_argument("--publish-repeat", type=int, default=7)
    parser.add_argument("--upload-mb", type=int, default=500, help="0 skips part 3")
    parser.add_argument("--max-growth", type=int, default=64,
                        help="fail if the large upload grows the server by more MB than this")
    parser.add_argument("--only", choices=("latency", "load", "upload"),
                        help="run one part only")
    options = parser.parse_args()
    healthy = True
    with scratch() as work:
        if options.only in (None, "latency"):
            healthy &= latency(work, options.requests, options.publish_repeat)
        if options.only == "latency":
            return 0 if healthy else 1
        postgres, store = Postgres.start(), ObjectStore.start()
        try:

            def service() -> Storage:
                return Storage(postgres.new_database(), store.new_bucket(), store)

            if options.only in (None, "load"):
                runs = [load(work, "baseline: one instance, SQLite, blob directory", Storage(),
                             1, options.clients, options.seconds),
                        load(work, "one instance, PostgreSQL, S3 bucket", service(), 1,
                             options.clients, options.seconds),
                        load(work, "two instances, PostgreSQL, one S3 bucket", service(), 2,
                             options.clients, options.seconds)]
                healthy &= report(runs, options.clients)
            if options.only in (None, "upload") and options.upload_mb:
                print(f"\n== 3. a {options.upload_mb} MB upload through object storage ==")
                storage = service()
                with serving(work / "upload", storage) as [server]:
                    token = maintainers(work / "upload", storage, ["bench"], 1)["bench"][0].token
                    figures = upload_and_measure(server.url, token, server.pid,
                                                 options.upload_mb)
                figures.report()
                flat = figures.growth_mib <= options.max_growth
                print("memory stayed flat" if flat
                      else f"memory grew by more than {options.max_growth} MB")
                healthy &= flat
        finally:
            store.stop()
            postgres.stop()
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
