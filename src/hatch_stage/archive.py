"""Reading artifacts as untrusted input.

Every stage that looks inside a wheel, sdist or npm tarball goes through :func:`iter_members`,
which reads members into memory (nothing is extracted to disk) and refuses, with an error
naming the artifact and member, anything that could hurt: absolute or ``..`` paths, links
and device files, members or totals over the size limits, and compression ratios that
signal a decompression bomb.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO

from .config import ScanLimits
from .errors import ArchiveError
from .models import Artifact, Member


def check_member_name(artifact: str, name: str) -> None:
    """Refuse member paths that would escape an extraction directory."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{artifact}: member {name!r} has an unsafe path (absolute or '..')")


class _Budget:
    """Tracks what one artifact has cost so far against the limits."""

    def __init__(self, artifact: Artifact, limits: ScanLimits) -> None:
        self.artifact = artifact
        self.limits = limits
        self.members = 0
        self.total = 0
        self.compressed = max(artifact.size, 1)

    def admit(self, name: str, declared_size: int) -> None:
        limits = self.limits
        self.members += 1
        if self.members > limits.max_members:
            raise ArchiveError(f"{self.artifact.filename}: more than {limits.max_members} members")
        if declared_size > limits.max_member_bytes:
            raise ArchiveError(
                f"{self.artifact.filename}: member {name!r} is {declared_size} bytes, over the "
                f"{limits.max_member_bytes}-byte limit per member"
            )

    def consume(self, name: str, size: int) -> None:
        limits = self.limits
        self.total += size
        if self.total > limits.max_total_bytes:
            raise ArchiveError(
                f"{self.artifact.filename}: members add up to more than {limits.max_total_bytes} "
                "bytes uncompressed"
            )
        # small archives compress well by nature: judge the ratio only past 1 MiB
        if self.total > (1 << 20) and self.total / self.compressed > limits.max_ratio:
            raise ArchiveError(
                f"{self.artifact.filename}: compression ratio over {limits.max_ratio}:1 at member "
                f"{name!r}; refusing a likely decompression bomb"
            )


def _read_bounded(stream: IO[bytes], name: str, budget: _Budget) -> bytes:
    # declared sizes can lie: never read more than the limit allows
    limit = budget.limits.max_member_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ArchiveError(
            f"{budget.artifact.filename}: member {name!r} is over the {limit}-byte limit per member"
        )
    budget.consume(name, len(data))
    return data


def _zip_members(artifact: Artifact, limits: ScanLimits) -> Iterator[Member]:
    budget = _Budget(artifact, limits)
    with zipfile.ZipFile(artifact.path) as archive:
        for info in archive.infolist():
            check_member_name(artifact.filename, info.filename)
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(
                    f"{artifact.filename}: member {info.filename!r} is a symbolic link"
                )
            budget.admit(info.filename, info.file_size)
            with archive.open(info) as stream:
                data = _read_bounded(stream, info.filename, budget)
            yield Member(artifact.filename, info.filename, data)


def _tar_members(artifact: Artifact, limits: ScanLimits) -> Iterator[Member]:
    budget = _Budget(artifact, limits)
    with tarfile.open(artifact.path, mode="r:*") as archive:
        for info in archive:
            check_member_name(artifact.filename, info.name)
            if info.isdir():
                continue
            if info.issym() or info.islnk():
                raise ArchiveError(f"{artifact.filename}: member {info.name!r} is a link")
            if not info.isfile():
                raise ArchiveError(
                    f"{artifact.filename}: member {info.name!r} is not a regular file"
                )
            budget.admit(info.name, info.size)
            stream = archive.extractfile(info)
            if stream is None:  # pragma: no cover - regular files always have a stream
                continue
            with stream:
                data = _read_bounded(stream, info.name, budget)
            yield Member(artifact.filename, info.name, data)


def iter_members(artifact: Artifact, limits: ScanLimits) -> Iterator[Member]:
    """Yield every regular file of ``artifact`` with its bytes, enforcing ``limits``.

    Raises :class:`ArchiveError` for an unsafe or unreadable archive.
    """
    try:
        if artifact.path.name.endswith((".whl", ".zip")):
            yield from _zip_members(artifact, limits)
        else:
            yield from _tar_members(artifact, limits)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError) as error:
        raise ArchiveError(f"{artifact.filename}: not a readable archive ({error})") from None
