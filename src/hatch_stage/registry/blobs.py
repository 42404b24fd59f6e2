"""Content-addressed file storage: every file lives once, under its sha256.

One small interface, :class:`BlobStore`, with streaming methods only (nothing takes or
returns a whole file as ``bytes``), and two implementations: a local directory
(:mod:`.blobs_local`, the default) and an S3 bucket (:mod:`.blobs_s3`,
``serve --blobs s3://BUCKET/PREFIX``). :func:`.storage.open_store` picks one from the
``--blobs`` value.

Every implementation keeps the same promises: an upload streams through a :class:`Verifier`
(size and every declared hash checked as the bytes pass, memory flat in the file size) and
reaches its final name only when it matches what the uploader declared; a cut-off upload
leaves nothing that is ever served, only leftovers :meth:`BlobStore.sweep_tmp` removes; a
blob that reached its name is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from .problems import BadRequest, TooLarge

#: bytes read per step; memory use per upload stays around this
CHUNK = 1 << 20
#: a temporary file (or unfinished multipart upload) untouched this long belongs to a dead
#: upload
STALE_SECONDS = 15 * 60
#: modes of what the store creates (the umask may only take more away)
PRIVATE_DIRECTORY, PRIVATE_FILE = 0o700, 0o600
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Readable(Protocol):
    """Anything with ``read(n)``: an open file, a spooled form part, an HTTP body reader."""

    def read(self, size: int = ..., /) -> bytes: ...


def private_directories(*paths: Path) -> None:
    """Create each directory (in order, so parents first) for its owner only."""
    for path in paths:
        path.mkdir(exist_ok=True, mode=PRIVATE_DIRECTORY)


def hasher(algorithm: str) -> Any:
    """A hashlib object for a PEP 694 hash name (or the legacy ``blake2_256``)."""
    if algorithm == "blake2_256":
        return hashlib.blake2b(digest_size=32)
    if algorithm in ("shake_128", "shake_256"):
        raise BadRequest(f"hash {algorithm!r} needs a length; send sha256")
    try:
        return hashlib.new(algorithm)
    except (ValueError, TypeError):
        raise BadRequest(f"unknown hash algorithm {algorithm!r}; send sha256",
                         errors=[{"source": "hashes", "message": algorithm}]) from None


@dataclass(frozen=True)
class Received:
    """A file that reached the blob store intact."""

    sha256: str
    size: int


class Verifier:
    """Counts and hashes one upload's bytes as they pass, within its bounds.

    Raises :class:`BadRequest` on more bytes than declared and :class:`TooLarge` past the
    registry's limit while reading; :meth:`verified` checks the size and every declared hash
    at the end.
    """

    def __init__(self, expected: Mapping[str, str], size: int | None, limit: int) -> None:
        self.expected = dict(expected)
        self.digests = {name: hasher(name) for name in expected}
        self.sha256 = self.digests.setdefault("sha256", hashlib.sha256())
        self.size, self.limit = size, limit
        self.ceiling = limit if size is None else min(size, limit)
        self.received = 0

    @property
    def declared(self) -> str | None:
        """The sha256 the uploader declared, when it is one: the blob's name, known before
        the bytes arrive."""
        value = self.expected.get("sha256", "").lower()
        return value if _SHA256.fullmatch(value) else None

    def chunks(self, stream: Readable) -> Iterator[bytes]:
        """The stream's bytes, counted and hashed, in :data:`CHUNK` pieces."""
        while chunk := stream.read(CHUNK):
            self.received += len(chunk)
            if self.received > self.ceiling:
                if self.size is not None and self.size <= self.limit:
                    raise BadRequest(f"more bytes than the declared size {self.size}")
                raise TooLarge(f"the file is larger than this registry's limit of "
                               f"{self.limit} bytes")
            for digest in self.digests.values():
                digest.update(chunk)
            yield chunk

    def verified(self) -> Received:
        """What arrived, if it is what was declared; else :class:`BadRequest`."""
        if self.size is not None and self.received != self.size:
            raise BadRequest(f"received {self.received} bytes, but the declared size is "
                             f"{self.size}")
        for name, value in self.expected.items():
            if self.digests[name].hexdigest() != value.lower():
                raise BadRequest(f"the {name} of the received bytes does not match the "
                                 "declared hash", errors=[{"source": f"hashes.{name}",
                                                           "message": "mismatch"}])
        return Received(self.sha256.hexdigest(), self.received)


def blob_name(sha256: str) -> str:
    """Where a blob lives below the store's root: ``sha256/ab/cd/abcd...``."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class BlobStore(ABC):
    """Files by sha256. ``scratch`` is a private local directory for files being inspected
    or promoted (archive readers need a file on disk)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch

    @abstractmethod
    def describe(self) -> str:
        """Where the blobs are, for messages (never a credential)."""

    @abstractmethod
    def receive(self, stream: Readable, *, expected: Mapping[str, str], size: int | None,
                limit: int) -> Received:
        """Copy ``stream`` into the store, checking ``expected`` hashes and ``size``.

        Raises :class:`BadRequest` on a mismatch and :class:`TooLarge` past ``limit``; nothing
        is stored then.
        """

    @abstractmethod
    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""

    @abstractmethod
    def open(self, sha256: str) -> IO[bytes]:
        """The blob for streaming reads; :class:`FileNotFoundError` when it is missing."""

    @abstractmethod
    def digests(self) -> Iterator[str]:
        """Every stored digest."""

    @abstractmethod
    def remove(self, sha256: str, *, older_than: float) -> bool:
        """Delete a blob not written since ``older_than`` (a timestamp); True if deleted.

        The age check closes the window between an upload placing a blob and recording it
        in the database: a blob that fresh is never collected.
        """

    @abstractmethod
    def check(self) -> None:
        """Raise :class:`OSError` (or the client's error) when the store cannot be reached or
        written: what ``GET /_/health`` reports."""

    def download_url(self, sha256: str, filename: str, lifetime: int) -> str | None:
        """A URL the client may fetch the blob from directly for ``lifetime`` seconds (a
        presigned URL), or None when the registry must send the bytes itself."""
        return None

    def sweep_tmp(self, now: float | None = None) -> int:
        """Remove what dead uploads and file views left behind; returns how many."""
        cutoff = (now or time.time()) - STALE_SECONDS
        removed = 0
        for leftover in [*self.scratch.glob("*.part"), *self.scratch.glob("*.view")]:
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink()
                    removed += 1
        return removed

    @contextlib.contextmanager
    def local_file(self, sha256: str, filename: str) -> Iterator[Path]:
        """The blob as a local file called ``filename`` (archive readers go by the name), for
        the length of the ``with`` block."""
        directory = Path(tempfile.mkdtemp(dir=self.scratch, suffix=".view"))
        try:
            target = directory / Path(filename).name
            self.copy_to(sha256, target)
            yield target
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def copy_to(self, sha256: str, target: Path) -> None:
        """Write the blob to the new private file ``target``, streaming."""
        with self.open(sha256) as source, \
                open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE),
                     "wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK)

