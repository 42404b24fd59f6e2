"""The blob store in a local directory (the default): ``blobs/sha256/ab/cd/abcd...``.

An upload streams into a temporary file in ``blobs/tmp`` while it is verified; only when it
matches what the uploader declared is it fsynced and renamed into place (and the directory
fsynced). A process killed mid-upload leaves at most a ``.part`` file, which is never served
and is swept later. Several instances may share the directory (NFS); an object store
(:mod:`.blobs_s3`) needs no shared file system.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from .blobs import (
    PRIVATE_FILE,
    BlobStore,
    Readable,
    Received,
    Verifier,
    blob_name,
    private_directories,
)


class LocalBlobStore(BlobStore):
    """Files by sha256 under ``root``."""

    def __init__(self, root: Path) -> None:
        super().__init__(root / "tmp")
        self.root = root
        # staged files are private until published: directories 0700, files 0600
        root.parent.mkdir(parents=True, exist_ok=True)
        private_directories(root, self.scratch, root / "sha256")

    def describe(self) -> str:
        return str(self.root)

    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (whether or not it exists)."""
        return self.root / blob_name(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> IO[bytes]:
        return self.path(sha256).open("rb")

    def copy_to(self, sha256: str, target: Path) -> None:
        # a hard link: nothing is copied
        try:
            os.link(self.path(sha256), target)
        except OSError as error:
            if isinstance(error, FileNotFoundError):
                raise
            super().copy_to(sha256, target)  # a file system without links

    def receive(self, stream: Readable, *, expected: Mapping[str, str], size: int | None,
                limit: int) -> Received:
        verifier = Verifier(expected, size, limit)
        part = self.scratch / f"{secrets.token_hex(16)}.part"
        try:
            descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
            with open(descriptor, "wb") as sink:
                for chunk in verifier.chunks(stream):
                    sink.write(chunk)
                sink.flush()
                os.fsync(sink.fileno())
            received = verifier.verified()
            self._place(part, received.sha256)
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        return received

    def _place(self, part: Path, sha256: str) -> None:
        final = self.path(sha256)
        if final.is_file():
            # same content already stored; refresh its age so a sweep keeps it (see remove)
            os.utime(final)
            return
        private_directories(final.parent.parent, final.parent)
        os.replace(part, final)
        directory = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def digests(self) -> Iterator[str]:
        for path in (self.root / "sha256").glob("*/*/*"):
            yield path.name

    def remove(self, sha256: str, *, older_than: float) -> bool:
        path = self.path(sha256)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < older_than:
                path.unlink()
                return True
        return False

    def check(self) -> None:
        if not os.access(self.root / "sha256", os.W_OK | os.X_OK):
            raise PermissionError(f"{self.root} is not writable")
        shutil.disk_usage(self.root)  # the file system answers (a hung NFS mount raises)
