"""Content-addressed file storage: every file lives once, under its sha256.

An upload streams into a temporary file inside the blob directory while its hashes and size
are computed; only when they match what the uploader declared is it fsynced and renamed into
place (``blobs/sha256/ab/cd/abcd...``). A process killed mid-upload leaves at most a ``.part``
file in ``blobs/tmp``, which is never served and is swept later; a file that reached its final
name is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from .problems import BadRequest, TooLarge

#: bytes read per step; memory use per upload stays around this
CHUNK = 1 << 20
#: a temporary file untouched this long belongs to a dead upload
STALE_SECONDS = 15 * 60
#: modes of what the store creates (the umask may only take more away)
PRIVATE_DIRECTORY, PRIVATE_FILE = 0o700, 0o600


class Readable(Protocol):
    """Anything with ``read(n)``: an open file, a spooled form part, an HTTP body reader."""

    def read(self, size: int = ..., /) -> bytes: ...


def _private_directories(*paths: Path) -> None:
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


class BlobStore:
    """Files by sha256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        # staged files are private until published: directories 0700, files 0600
        root.parent.mkdir(parents=True, exist_ok=True)
        _private_directories(root, self.tmp, root / "sha256")

    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (whether or not it exists)."""
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> IO[bytes]:
        """The blob for streaming reads; :class:`FileNotFoundError` when it is missing."""
        return self.path(sha256).open("rb")

    @contextlib.contextmanager
    def local_file(self, sha256: str, filename: str) -> Iterator[Path]:
        """The blob as a local file called ``filename`` (archive readers go by the name), for
        the length of the ``with`` block. Here a hard link, so nothing is copied."""
        directory = Path(tempfile.mkdtemp(dir=self.tmp, suffix=".view"))
        try:
            linked = directory / Path(filename).name
            try:
                os.link(self.path(sha256), linked)
            except OSError as error:
                if isinstance(error, FileNotFoundError):
                    raise
                shutil.copyfile(self.path(sha256), linked)  # a file system without links
                linked.chmod(PRIVATE_FILE)
            yield linked
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def receive(self, stream: Readable, *, expected: Mapping[str, str], size: int | None,
                limit: int) -> Received:
        """Copy ``stream`` into the store, checking ``expected`` hashes and ``size``.

        Raises :class:`BadRequest` on a mismatch and :class:`TooLarge` past ``limit``; nothing
        is stored then.
        """
        digests = {name: hasher(name) for name in expected}
        sha256 = digests.setdefault("sha256", hashlib.sha256())
        ceiling = limit if size is None else min(size, limit)
        part = self.tmp / f"{secrets.token_hex(16)}.part"
        received = 0
        try:
            descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            with open(descriptor, "wb") as sink:
                while chunk := stream.read(CHUNK):
                    received += len(chunk)
                    if received > ceiling:
                        if size is not None and size <= limit:
                            raise BadRequest(f"more bytes than the declared size {size}")
                        raise TooLarge(f"the file is larger than this registry's limit of "
                                       f"{limit} bytes")
                    for digest in digests.values():
                        digest.update(chunk)
                    sink.write(chunk)
                sink.flush()
                os.fsync(sink.fileno())
            if size is not None and received != size:
                raise BadRequest(f"received {received} bytes, but the declared size is {size}")
            for name, value in expected.items():
                if digests[name].hexdigest() != value.lower():
                    raise BadRequest(f"the {name} of the received bytes does not match the "
                                     "declared hash", errors=[{"source": f"hashes.{name}",
                                                               "message": "mismatch"}])
            digest = sha256.hexdigest()
            self._place(part, digest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        return Received(digest, received)

    def _place(self, part: Path, sha256: str) -> None:
        final = self.path(sha256)
        if final.is_file():
            # same content already stored; refresh its age so a sweep keeps it (see sweep)
            os.utime(final)
            return
        _private_directories(final.parent.parent, final.parent)
        os.replace(part, final)
        directory = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def sweep_tmp(self, now: float | None = None) -> int:
        """Remove temporary files of uploads (and file views) that died; returns how many."""
        cutoff = (now or time.time()) - STALE_SECONDS
        removed = 0
        for part in self.tmp.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed += 1
        # views of a process killed while it inspected or promoted a file
        for view in self.tmp.glob("*.view"):
            with contextlib.suppress(FileNotFoundError):
                if view.stat().st_mtime < cutoff:
                    shutil.rmtree(view, ignore_errors=True)
                    removed += 1
        return removed

    def digests(self) -> Iterator[str]:
        """Every stored digest."""
        for path in (self.root / "sha256").glob("*/*/*"):
            yield path.name

    def remove(self, sha256: str, *, older_than: float) -> bool:
        """Delete a blob not touched since ``older_than`` (a timestamp); True if deleted.

        The age check closes the window between an upload placing a blob and recording it
        in the database: a blob that fresh is never collected.
        """
        path = self.path(sha256)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < older_than:
                path.unlink()
                return True
        return False
