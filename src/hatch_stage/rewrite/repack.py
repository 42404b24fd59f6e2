"""Copying an archive with a few members replaced, keeping everything else as it was.

Member data is read through :func:`hatch_stage.archive.iter_members`, so the safety limits hold
while copying too; order, timestamps, permissions and compression settings are carried over
from the original entries.
"""

from __future__ import annotations

import copy
import gzip
import io
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from ..archive import is_zip_link, iter_members, zip_link_target
from ..config import ScanLimits
from ..errors import RewriteError
from ..models import Artifact, Member

#: the zip64 extra field, which zipfile writes itself when it is needed
_ZIP64_EXTRA = 0x0001


def read_members(
    artifact: Artifact, wanted: Callable[[str], bool], limits: ScanLimits
) -> dict[str, bytes]:
    """The members whose names ``wanted`` accepts, read safely; refuses duplicates."""
    found: dict[str, bytes] = {}
    for member in iter_members(artifact, limits):
        if wanted(member.name) and member.link is None:
            if member.name in found:
                raise RewriteError(
                    f"{artifact.filename} holds {member.name} twice; refusing to guess which counts"
                )
            found[member.name] = member.data
    return found


def output_path(artifact: Artifact, workdir: Path) -> Path:
    """A fresh path under ``workdir`` with the artifact's file name (the name an index serves)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="workspace-rewrite-", dir=workdir)) / artifact.filename


def _next_data(members: Iterator[Member], name: str, artifact: Artifact) -> bytes:
    member = next(members, None)
    if member is None or member.name != name:
        raise RewriteError(f"{artifact.filename} changed while it was being rewritten")
    return member.data


def _check_links(members: Iterator[Member]) -> None:
    # links come after every regular member: reading them checks where they lead
    for _member in members:
        pass


def _without_zip64(extra: bytes) -> bytes:
    kept, index = b"", 0
    while index + 4 <= len(extra):
        header = int.from_bytes(extra[index : index + 2], "little")
        size = int.from_bytes(extra[index + 2 : index + 4], "little")
        if header != _ZIP64_EXTRA:
            kept += extra[index : index + 4 + size]
        index += 4 + size
    return kept


def _repack_zip(
    artifact: Artifact, target: Path, replacements: Mapping[str, bytes], limits: ScanLimits
) -> None:
    members = iter_members(artifact, limits)
    with zipfile.ZipFile(artifact.path) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            if info.is_dir():
                data = b""
            elif is_zip_link(info):  # a link stays a link (iter_members checked where it leads)
                data = zip_link_target(artifact, source, info).encode("utf-8")
            else:
                data = _next_data(members, info.filename, artifact)
            clone = zipfile.ZipInfo(info.filename, info.date_time)
            clone.compress_type = info.compress_type
            clone.external_attr = info.external_attr
            clone.create_system = info.create_system
            clone.comment = info.comment
            clone.extra = _without_zip64(info.extra)
            out.writestr(clone, replacements.get(info.filename, data))
        out.comment = source.comment
    _check_links(members)


def _gzip_header(path: Path) -> tuple[int, str, int]:
    """(mtime, stored file name, compression level) of a gzip file, to write the copy alike."""
    with path.open("rb") as stream:
        header = stream.read(10)
        if header[:3] != b"\x1f\x8b\x08":
            raise RewriteError(f"{path.name} is not gzip-compressed; an sdist must be a .tar.gz")
        flags, mtime = header[3], int.from_bytes(header[4:8], "little")
        name = b""
        if flags & 0x04:  # FEXTRA precedes the name
            stream.read(int.from_bytes(stream.read(2), "little"))
        if flags & 0x08:
            while (byte := stream.read(1)) not in (b"", b"\x00"):
                name += byte
    level = {2: 9, 4: 1}.get(header[8], 6)
    return mtime, name.decode("latin-1"), level


def _repack_tar(
    artifact: Artifact, target: Path, replacements: Mapping[str, bytes], limits: ScanLimits
) -> None:
    mtime, stored_name, level = _gzip_header(artifact.path)
    # GzipFile drops a trailing ".gz" from the name it stores
    stored_name += ".gz" if stored_name.endswith(".gz") else ""
    members = iter_members(artifact, limits)
    with (
        tarfile.open(artifact.path, mode="r:gz") as source,
        target.open("wb") as raw,
        gzip.GzipFile(
            filename=stored_name, mode="wb", fileobj=raw, mtime=mtime, compresslevel=level
        ) as compressed,
        tarfile.TarFile(
            fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT, pax_headers=source.pax_headers
        ) as out,
    ):
        for info in source:
            clone = copy.copy(info)
            clone.pax_headers = {k: v for k, v in info.pax_headers.items() if k != "size"}
            if info.isdir() or info.issym() or info.islnk():
                out.addfile(clone)  # a link stays a link (iter_members checked where it leads)
                continue
            data = replacements.get(info.name, _next_data(members, info.name, artifact))
            clone.size = len(data)
            out.addfile(clone, io.BytesIO(data))
    _check_links(members)


def repack(
    artifact: Artifact, replacements: Mapping[str, bytes], workdir: Path, limits: ScanLimits
) -> Artifact:
    """A copy of ``artifact`` under ``workdir`` with the named members' data replaced."""
    target = output_path(artifact, workdir)
    if artifact.path.name.endswith((".whl", ".zip")):
        _repack_zip(artifact, target, replacements, limits)
    else:
        _repack_tar(artifact, target, replacements, limits)
    return Artifact(target, artifact.kind)
