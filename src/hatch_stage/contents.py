"""One read of each artifact per run, shared by every stage that looks inside it.

The blocked-file rules, the secret scan and the scorers each walk every member of every
artifact, and python-pack lists the links of what it built. Each walk used to open the archive
again: an sdist's gzip stream was decompressed and its tar headers parsed three or four times
per dry run. Inside :func:`shared_reading` (the pipeline opens one around pack, rewrite, scan
and score; the registry around its inspection of a file) the first walk of an artifact keeps
the members it reads, and every later one is served from memory.

Nothing changes for a plugin: :func:`hatch_stage.archive.iter_members` and
:func:`~hatch_stage.archive.list_links` consult the open reading themselves, so the built-in
plugins and outside ones written against the hookspecs all get the members of the one read,
and disabling any plugin leaves the others reading as before (the first to read fills the
cache). Kept are the members a text reader sees (``skip_binary=True``: text with its bytes,
binary members by name only), which is what every built-in reader asks for; a reader that
wants binary bytes gets them from the cache only when the artifact has no binary member, else
it reads the archive itself.

Memory is bounded: at most ``hold_bytes`` of member data are kept per reading (256 MiB by
default, several times the largest sdist on the public index). An artifact that does not fit
is streamed to each reader as before, a member at a time. The cache is keyed by the file's
path, size, modification time and inode and by the archive limits, so an artifact rewritten
to a new file is read anew; artifacts are never modified in place (the rewrite hook's rule).
A walk that fails (an unsafe archive) or is abandoned keeps nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .archive import SHARED_READING, read_members
from .config import ScanLimits
from .errors import ArchiveError
from .models import Artifact, Member

#: the most member bytes one reading keeps in memory, by default
HOLD_BYTES = 256 * 1024 * 1024

#: identifies one file on disk read under one set of limits
_Key = tuple[str, int, int, int, ScanLimits]


@dataclass(frozen=True)
class _Read:
    """One artifact, read to the end."""

    members: tuple[Member, ...]
    #: (link, target as stored) of every link in the archive
    links: tuple[tuple[str, str], ...]
    #: some member is not UTF-8 text (kept by name only)
    has_binary: bool


class Contents:
    """The members of the artifacts read so far in one run; use through :func:`shared_reading`."""

    def __init__(self, hold_bytes: int = HOLD_BYTES) -> None:
        self.hold_bytes = hold_bytes
        self.held = 0
        #: how many times an archive was opened and walked through this reading (for tests
        #: and benchmarks: one per artifact when everything fits)
        self.reads = 0
        self._read: dict[_Key, _Read] = {}
        #: artifacts too large to keep: streamed to every reader
        self._too_large: set[_Key] = set()

    @staticmethod
    def _key(artifact: Artifact, limits: ScanLimits) -> _Key:
        status = os.stat(artifact.path)
        return (str(artifact.path), status.st_size, status.st_mtime_ns, status.st_ino, limits)

    def members(self, artifact: Artifact, limits: ScanLimits,
                skip_binary: bool) -> Iterator[Member] | None:
        """The members of ``artifact`` as :func:`~hatch_stage.archive.iter_members` yields
        them; None when this reading cannot serve them (the caller reads the archive)."""
        key = self._key(artifact, limits)
        done = self._read.get(key)
        if done is not None:
            if skip_binary or not done.has_binary:
                return iter(done.members)
            return None
        if not skip_binary or key in self._too_large:
            return None
        return self._first_walk(artifact, limits, key)

    def links(self, artifact: Artifact, limits: ScanLimits) -> list[tuple[str, str]] | None:
        """(link, target as stored) of every link in ``artifact``, reading it for every stage
        if nobody has yet; None when it cannot be kept (the caller lists the headers itself)."""
        key = self._key(artifact, limits)
        if key not in self._read and key not in self._too_large:
            try:
                for _member in self._first_walk(artifact, limits, key):
                    pass
            except ArchiveError:
                # refused: the readers will say so when they read it; a listing never refuses
                return None
        done = self._read.get(key)
        return list(done.links) if done is not None else None

    def _first_walk(self, artifact: Artifact, limits: ScanLimits, key: _Key) -> Iterator[Member]:
        """Read the archive, yielding each member as it comes and keeping it while it fits."""
        self.reads += 1
        kept: list[Member] | None = []
        links: list[tuple[str, str]] = []
        size = 0
        has_binary = False
        for member in read_members(artifact, limits, skip_binary=True, seen_links=links):
            has_binary = has_binary or member.binary
            if kept is not None:
                size += len(member.data)
                if self.held + size > self.hold_bytes:
                    kept = None
                    self._too_large.add(key)
                else:
                    kept.append(member)
            yield member
        if kept is not None:
            self.held += size
            self._read[key] = _Read(tuple(kept), tuple(links), has_binary)


@contextmanager
def shared_reading(hold_bytes: int = HOLD_BYTES) -> Iterator[Contents]:
    """Share one read of each artifact among every reader in this context (see the module
    docstring). Nested readings share the outer one."""
    outer = SHARED_READING.get()
    if isinstance(outer, Contents):
        yield outer
        return
    contents = Contents(hold_bytes)
    token = SHARED_READING.set(contents)
    try:
        yield contents
    finally:
        SHARED_READING.reset(token)
