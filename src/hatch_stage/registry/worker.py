"""The registry's background work, one thread per instance, off the requests' path.

Every ``tick`` (1 s) it hands the webhook deliveries that are due to a small pool of threads
(:mod:`.delivery`; a receiver that hangs holds one thread until its timeout, never a request
and never the other deliveries); every
``sweep_interval`` (60 s) it runs the sweep (sessions past ``expires-at`` canceled, the
``expiring`` warnings); at start and every ``maintenance_interval`` (an hour) the rest of the
housekeeping. With several instances over one database, the sweep and the housekeeping run
where the lease is held (:mod:`.leases`) and each delivery is claimed by one worker, so every
piece of work is done once; the rows they change are guarded too, so even two sweeps at once
would notify once. Nothing lives only in memory: a restart picks up where the last run
stopped.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import httpx2

from .service import Registry

log = logging.getLogger("hatch_stage.registry")

#: how often due deliveries are looked for
TICK = 1.0
#: how often the sweep runs
SWEEP_INTERVAL = 60.0
#: how often the rest of the housekeeping runs
MAINTENANCE_INTERVAL = 3600.0
#: deliveries sent at once by one instance
CONCURRENCY = 8


class Worker:
    """Deliveries, the sweep and housekeeping of one registry instance, in a thread."""

    def __init__(self, registry: Registry, *, tick: float = TICK,
                 sweep_interval: float = SWEEP_INTERVAL,
                 maintenance_interval: float = MAINTENANCE_INTERVAL) -> None:
        self.registry = registry
        self.tick = tick
        self.intervals = {"sweep": sweep_interval, "maintenance": maintenance_interval}
        #: this instance's name in claims and leases
        self.holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.due = {"sweep": 0.0, "maintenance": 0.0}

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="hatch-stage-worker",
                                       daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        sending: set[Future[object]] = set()
        # the pool is left (waiting for the deliveries being sent) before the client closes
        with httpx2.Client(trust_env=False) as client, \
                ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="hatch-stage-webhook") as pool:
            while not self.stopping.is_set():
                sending = self._send_due(pool, client, sending)
                now = time.monotonic()
                for job, work in (("sweep", self.registry.sweep),
                                  ("maintenance", self.registry.maintenance)):
                    if now >= self.due[job]:
                        self.due[job] = now + self.intervals[job]
                        self._leased(job, work)
                self.stopping.wait(self.tick)

    def _send_due(self, pool: ThreadPoolExecutor, client: httpx2.Client,
                  sending: set[Future[object]]) -> set[Future[object]]:
        """Hand due deliveries to free threads; the deliveries still being sent."""
        sending = {future for future in sending if not future.done()}
        free = CONCURRENCY - len(sending)
        if free <= 0:
            return sending
        # claim only what a free thread sends now; the rest stays for other instances
        claimed = self._guarded("delivery", functools.partial(
            self.registry.claim_deliveries, self.holder, free))
        for item in claimed if isinstance(claimed, list) else []:
            sending.add(pool.submit(self._guarded, "delivery", functools.partial(
                self.registry.deliver, client, self.holder, item)))
        return sending

    def _leased(self, job: str, work: Callable[[], dict[str, int]]) -> None:
        # the lease outlives one interval a little, so the holder keeps it while it lives
        seconds = int(self.intervals[job] * 1.5) + 1
        if self._guarded(job, lambda: self.registry.take_lease(job, self.holder, seconds)):
            done = self._guarded(job, work)
            if isinstance(done, dict) and any(done.values()):
                log.info("%s: %s", job, done)

    @staticmethod
    def _guarded(job: str, work: Callable[[], object]) -> object:
        try:
            return work()
        except Exception:  # a failed round must not stop the worker; the next one retries
            log.exception("%s failed", job)
            return None
