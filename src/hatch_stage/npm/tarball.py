"""npm tarballs: reading the packed ``package/package.json`` and re-packing with it replaced.

Reading goes through :func:`hatch_stage.archive.iter_members`, so the scanner's safety limits
apply. Re-packing streams every other member through unchanged (contents, modes, times,
owners), so memory stays flat whatever the tarball's size.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..archive import iter_members
from ..config import ScanLimits
from ..errors import ArchiveError, HatchStageError
from ..models import READ_CHUNK, Artifact

#: where npm puts the manifest in every tarball it packs
MANIFEST_MEMBER = "package/package.json"


@dataclass(frozen=True)
class Packed:
    """What a tarball's own package.json says."""

    #: the parsed manifest
    manifest: dict[str, Any]
    #: its bytes, as packed
    raw: bytes
    #: every member path, in archive order
    members: tuple[str, ...]
    #: member path -> bytes, for the few top-level files callers ask for
    files: dict[str, bytes]

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", ""))


def _wanted(name: str, keep: tuple[str, ...]) -> bool:
    path = name.removeprefix("package/")
    return "/" not in path and path.lower().startswith(keep)


def read_packed(artifact: Artifact, limits: ScanLimits, error: type[HatchStageError],
                keep: tuple[str, ...] = ()) -> Packed:
    """The manifest of an npm tarball, its member list, and top-level files starting with ``keep``.

    ``keep`` holds lower-case name prefixes (``("readme",)``); matching files are returned so
    a scorer need not open the archive twice. Raises ``error`` when there is no manifest.
    """
    raw: bytes | None = None
    members: list[str] = []
    files: dict[str, bytes] = {}
    try:
        for member in iter_members(artifact, limits):
            members.append(member.name)
            if member.name == MANIFEST_MEMBER:
                raw = member.data
            elif keep and _wanted(member.name, keep):
                files[member.name] = member.data
    except ArchiveError as failure:
        raise error(str(failure)) from None
    if raw is None:
        raise error(f"{artifact.filename} has no {MANIFEST_MEMBER}: it is not a tarball npm packed")
    try:
        manifest = json.loads(raw.decode("utf-8-sig"))
    except ValueError as failure:
        raise error(f"{artifact.filename}: {MANIFEST_MEMBER} is not JSON ({failure})") from None
    if not isinstance(manifest, dict):
        raise error(f"{artifact.filename}: {MANIFEST_MEMBER} must hold a JSON object")
    return Packed(manifest, raw, tuple(members), files)


def replace_member(source: Path, target: Path, name: str, data: bytes) -> None:
    """Copy the tarball ``source`` to ``target`` (gzip) with member ``name``'s bytes replaced."""
    with tarfile.open(source, mode="r:*") as original, target.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0
    ) as compressed, tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as copy_:
        for info in original:
            if info.name == name:
                replaced = copy.copy(info)
                replaced.size = len(data)
                copy_.addfile(replaced, io.BytesIO(data))
            elif info.isfile():
                copy_.addfile(info, original.extractfile(info))
            else:
                copy_.addfile(info)


def identifiers(path: Path) -> tuple[str, str]:
    """What npm registries identify a tarball by: ``sha1:<shasum>`` and its ``sha512-``
    integrity (the forms :func:`hatch_stage.targets.npm.integrity_of` reports), read in
    chunks so memory stays flat."""
    sha1, sha512 = hashlib.sha1(), hashlib.sha512()  # npm's shasum and integrity
    with path.open("rb") as stream:
        while chunk := stream.read(READ_CHUNK):
            sha1.update(chunk)
            sha512.update(chunk)
    return f"sha1:{sha1.hexdigest()}", "sha512-" + base64.b64encode(sha512.digest()).decode()
