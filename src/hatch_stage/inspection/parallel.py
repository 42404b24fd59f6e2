"""The secret scan of a large release on every core, with the serial scan's result and order.

Scanning is pure computation on each member's bytes, and detect-secrets keeps its settings in
a process-wide global (not thread-safe), so the unit of parallel work is a process: worker
processes each set up their own scanner once, then scan batches of members sent to them.

Small releases must not pay for processes they do not need (a pre-commit run on a small
project scans some kilobytes). So the scan starts here, in this process, and only once the
members scanned so far add up to :data:`PARALLEL_FROM` bytes does it start the workers and
send them the rest, :data:`BATCH_BYTES` at a time. Results are taken back in the order the
batches were sent, so findings, notes and their order are exactly those of a serial scan
(``tests/test_parallel_scan.py`` holds that on a release of many members). At most two
batches per worker are in flight, so memory stays bounded when members are read as they are
sent.

Workers are forked where that is safe (Linux, and no other thread running in this process:
forking costs milliseconds, and a forked worker uses the scanner this process already set up,
detect-secrets' settings included); elsewhere they are spawned and set up a scanner
themselves. A worker that dies takes the pool with it: the
batches it left are scanned here instead, so a crash costs time, never findings.
``HATCH_STAGE_SCAN_WORKERS=1`` scans in this process only; a larger number sets the pool size
(by default one worker per core this process may use).
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ConfigError
from ..models import Member

if TYPE_CHECKING:
    # imported where a pool is started: small releases, most runs, never need one
    from concurrent.futures import Future, ProcessPoolExecutor

#: members scanned here before workers are started (small releases never start them)
PARALLEL_FROM = 2 * 1024 * 1024
#: member bytes sent to a worker at a time
BATCH_BYTES = 512 * 1024
#: the environment variable that sets the number of worker processes (1: none)
WORKERS_VARIABLE = "HATCH_STAGE_SCAN_WORKERS"

_R = TypeVar("_R")
#: makes the per-member scan function; it may enter contexts on the stack it is given, which
#: stays open while scanning (a worker's for its whole life)
Setup = Callable[[ExitStack], Callable[[Member], _R]]

# a worker process's scan function and the contexts it keeps open, set by _start_worker
_worker_scan: Callable[[Member], Any] | None = None
_worker_stack = ExitStack()
# the scan function of the process that starts a pool, while it starts one: a forked worker
# finds it already set up (and detect-secrets' settings in force), and uses it as it is
_forked_scan: Callable[[Member], Any] | None = None


def default_workers() -> int:
    """Worker processes for a large scan: the environment's choice, else one per usable core."""
    chosen = os.environ.get(WORKERS_VARIABLE, "").strip()
    if chosen:
        if not chosen.isdigit() or int(chosen) < 1:
            raise ConfigError(f"{WORKERS_VARIABLE} must be a whole number of processes, 1 or "
                              f"more (1 scans without worker processes); got {chosen!r}")
        return int(chosen)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def scan_in_order(members: Iterable[Member], setup: Setup[_R], workers: int | None = None,
                  parallel_from: int | None = None) -> Iterator[_R]:
    """``setup``'s scan function applied to each member, in order: here for the first
    ``parallel_from`` bytes (:data:`PARALLEL_FROM`), then in ``workers`` processes (``setup``
    must be picklable). ``setup`` is called only once there is a member to scan."""
    workers = default_workers() if workers is None else workers
    parallel_from = PARALLEL_FROM if parallel_from is None else parallel_from
    remaining = iter(members)
    first = next(remaining, None)
    if first is None:
        return  # nothing to scan: the scanner is not even set up
    with ExitStack() as stack:
        scan = setup(stack)
        scanned = 0
        for member in itertools.chain((first,), remaining):
            yield scan(member)
            scanned += len(member.data)
            if workers > 1 and scanned >= parallel_from:
                break
        else:
            return
        yield from _in_pool(_batches(remaining), setup, workers, scan)


def _batches(members: Iterator[Member]) -> Iterator[list[Member]]:
    batch: list[Member] = []
    size = 0
    for member in members:
        batch.append(member)
        size += len(member.data)
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _in_pool(batches: Iterator[list[Member]], setup: Setup[_R], workers: int,
             here: Callable[[Member], _R]) -> Iterator[_R]:
    global _forked_scan
    from concurrent.futures import ProcessPoolExecutor

    pending: deque[tuple[Future[list[_R]] | None, list[Member]]] = deque()
    context = _context()
    forked = context.get_start_method() == "fork"
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(None if forked else setup,))
    _forked_scan = here if forked else None
    try:
        for batch in batches:
            pending.append((_submit(pool, batch), batch))
            while len(pending) >= 2 * workers:
                yield from _collect(pending.popleft(), here)
        while pending:
            yield from _collect(pending.popleft(), here)
    finally:
        _forked_scan = None
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, batch: list[Member]) -> Future[list[Any]] | None:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(_scan_batch, batch)
    except BrokenProcessPool:  # a worker died earlier: this batch is scanned here
        return None


def _collect(sent: tuple[Future[list[_R]] | None, list[Member]],
             here: Callable[[Member], _R]) -> list[_R]:
    from concurrent.futures.process import BrokenProcessPool

    future, batch = sent
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:  # a worker died: this batch is scanned here instead
            pass
    return [here(member) for member in batch]


def _context() -> Any:
    import multiprocessing

    # fork is only safe with no other thread (a lock held by one stays locked in the child)
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _start_worker(setup: Setup[Any] | None) -> None:
    """Make this worker's scan function: inherited when forked (``setup`` None), else set up."""
    global _worker_scan
    _worker_scan = _forked_scan if setup is None else setup(_worker_stack)


def _scan_batch(batch: list[Member]) -> list[Any]:
    assert _worker_scan is not None, "the worker was not set up"
    return [_worker_scan(member) for member in batch]
