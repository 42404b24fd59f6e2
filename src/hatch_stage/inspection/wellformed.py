"""Whether a file is what its name says: a well-formed wheel or sdist of one release.

What an index must check before it offers a file to installers, whoever uploaded it:

- a wheel is a zip archive with exactly one ``.dist-info`` directory holding ``METADATA``,
  ``WHEEL`` and ``RECORD``; every file is listed in ``RECORD`` with a sha256 (or stronger)
  hash and size that match its bytes, and nothing listed is missing; the ``Tag`` lines of
  ``WHEEL`` are the tags of the file name;
- an sdist is a gzip-compressed tar archive (``.tar.gz``, PEP 625) with one top directory
  ``{name}-{version}`` holding ``PKG-INFO``;
- the core metadata's ``Name`` and ``Version`` are the release's (compared normalized);
- the file name is the one spelling of a wheel or sdist of the release (:mod:`.filenames`).

Archives are untrusted: they are read a chunk at a time under the same :class:`ScanLimits`
as every other reader (member count, total size, compression ratio), member paths that could
escape a directory are refused, a link in an sdist must end on a member of the same archive
(as every reader here follows links: :mod:`hatch_stage.archive_links`), wheels hold no links,
and nothing is extracted.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import IO

from packaging.metadata import parse_email
from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ..archive import check_member_name, tar_node
from ..archive_links import Node, node_key, resolve_link
from ..config import ScanLimits
from ..errors import ArchiveError
from ..models import READ_CHUNK, Artifact
from .filenames import filename_problems

#: RECORD hash algorithms a wheel may use (PEP 427: sha256 or stronger)
_HASHES = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b")
#: files RECORD lists without a hash (itself, and its signatures)
_UNHASHED = ("RECORD", "RECORD.jws", "RECORD.p7s")
#: at most this many problems of one kind are named
_SHOWN = 5


class _Refused(Exception):
    """The archive cannot be read further; the message says why."""


def check_distribution(artifact: Artifact, name: str, version: str,
                       limits: ScanLimits | None = None) -> list[str]:
    """Every reason ``artifact`` is not a well-formed distribution of ``name`` ``version``;
    empty when it is one."""
    limits = limits or ScanLimits()
    try:
        expected = (canonicalize_name(name), Version(version))
    except InvalidVersion:
        return [f"{version!r} is not a valid version"]
    misnamed = filename_problems(artifact.filename, name, version)
    if misnamed:
        return misnamed
    try:
        if artifact.kind == "wheel":
            return _check_wheel(artifact, expected, limits)
        if artifact.kind == "sdist":
            return _check_sdist(artifact, expected, limits)
    except _Refused as refused:
        return [str(refused)]
    except ArchiveError as error:
        return [str(error).removeprefix(f"{artifact.filename}: ")]
    return [f"{artifact.filename} is neither a wheel nor an sdist"]


# -- shared ------------------------------------------------------------------------------------

def _metadata_problems(data: bytes, where: str, expected: tuple[str, Version]) -> list[str]:
    raw, _ = parse_email(data)
    problems = []
    declared_name, declared_version = raw.get("name"), raw.get("version")
    if not declared_name:
        problems.append(f"{where} has no Name")
    elif canonicalize_name(declared_name) != expected[0]:
        problems.append(f"{where} names project {declared_name!r}, not {expected[0]!r}")
    if not declared_version:
        problems.append(f"{where} has no Version")
    else:
        try:
            if Version(declared_version) != expected[1]:
                problems.append(f"{where} says version {declared_version}, not {expected[1]}")
        except InvalidVersion:
            problems.append(f"{where} has an invalid Version {declared_version!r}")
    return problems


def _read_small(stream: IO[bytes], where: str, limits: ScanLimits) -> bytes:
    data = stream.read(limits.max_member_bytes + 1)
    if len(data) > limits.max_member_bytes:
        raise _Refused(f"{where} is over the {limits.max_member_bytes}-byte limit per member")
    return data


def _named(items: Iterable[str]) -> str:
    listed = sorted(items)
    shown = ", ".join(listed[:_SHOWN])
    return shown + (f" and {len(listed) - _SHOWN} more" if len(listed) > _SHOWN else "")


class _Budget:
    """Uncompressed bytes read so far against the total and ratio limits."""

    def __init__(self, compressed: int, limits: ScanLimits) -> None:
        self.compressed = max(compressed, 1)
        self.limits = limits
        self.total = 0

    def add(self, size: int, member: str) -> None:
        self.total += size
        if self.total > self.limits.max_total_bytes:
            raise _Refused(f"members add up to more than {self.limits.max_total_bytes} bytes "
                           "uncompressed")
        if self.total > (1 << 20) and self.total / self.compressed > self.limits.max_ratio:
            raise _Refused(f"compression ratio over {self.limits.max_ratio}:1 at member "
                           f"{member!r}; refusing a likely decompression bomb")


# -- wheels ------------------------------------------------------------------------------------

def _check_wheel(artifact: Artifact, expected: tuple[str, Version],
                 limits: ScanLimits) -> list[str]:
    try:
        archive = zipfile.ZipFile(artifact.path)
    except (zipfile.BadZipFile, OSError, EOFError):
        return ["not a zip archive: a wheel must be one"]
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > limits.max_members:
            raise _Refused(f"more than {limits.max_members} members")
        for info in infos:
            check_member_name(artifact.filename, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _Refused(f"member {info.filename!r} is a symbolic link")
        by_name = {info.filename: info for info in infos}
        tops = {name.split("/", 1)[0] for name in by_name if "/" in name}
        dist_infos = sorted(top for top in tops if top.endswith(".dist-info"))
        if len(dist_infos) != 1:
            found = _named(dist_infos) if dist_infos else "none"
            return [f"a wheel has exactly one .dist-info directory; this one has {found}"]
        dist_info = dist_infos[0]
        missing = [part for part in ("METADATA", "WHEEL", "RECORD")
                   if f"{dist_info}/{part}" not in by_name]
        if missing:
            return [f"{dist_info} has no {' or '.join(missing)}"]
        problems = _dist_info_name(dist_info, expected)

        def small(part: str) -> bytes:
            with archive.open(by_name[f"{dist_info}/{part}"]) as stream:
                return _read_small(stream, f"{dist_info}/{part}", limits)

        problems += _metadata_problems(small("METADATA"), f"{dist_info}/METADATA", expected)
        problems += _tag_problems(artifact.filename, small("WHEEL"), dist_info)
        problems += _record_problems(archive, by_name, dist_info, small("RECORD"),
                                     _Budget(artifact.size, limits))
    return problems


def _dist_info_name(dist_info: str, expected: tuple[str, Version]) -> list[str]:
    stem = dist_info.removesuffix(".dist-info")
    name, _, version = stem.rpartition("-")
    try:
        if canonicalize_name(name) == expected[0] and Version(version) == expected[1]:
            return []
    except InvalidVersion:
        pass
    return [f"the .dist-info directory {dist_info} is not that of {expected[0]} {expected[1]}"]


def _tag_problems(filename: str, wheel: bytes, dist_info: str) -> list[str]:
    raw = wheel.decode("utf-8", "replace")
    declared: set[Tag] = set()
    for line in raw.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "tag" and value.strip():
            try:
                declared |= parse_tag(value.strip())
            except ValueError:
                return [f"{dist_info}/WHEEL has a malformed Tag {value.strip()!r}"]
    try:
        named = set(parse_wheel_filename(filename)[3])
    except InvalidWheelFilename as error:
        return [str(error)]
    if not declared:
        return [f"{dist_info}/WHEEL declares no Tag"]
    if declared != named:
        return [f"{dist_info}/WHEEL declares tags {_named(map(str, declared))}, but the file "
                f"name says {_named(map(str, named))}"]
    return []


def _record_problems(archive: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo],
                     dist_info: str, record: bytes, budget: _Budget) -> list[str]:
    where = f"{dist_info}/RECORD"
    try:
        rows = list(csv.reader(io.StringIO(record.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as error:
        return [f"{where} is not readable: {error}"]
    listed: dict[str, tuple[str, str]] = {}
    for row in rows:
        if not row or not row[0]:
            continue
        if len(row) != 3:
            return [f"{where} has a malformed line for {row[0]!r}"]
        listed[row[0]] = (row[1], row[2])
    unhashed = {f"{dist_info}/{part}" for part in _UNHASHED}
    problems = []
    not_listed = [name for name in by_name if name not in listed and name not in unhashed]
    if not_listed:
        problems.append(f"{where} does not list {_named(not_listed)}")
    absent = [name for name in listed if name not in by_name]
    if absent:
        problems.append(f"{where} lists {_named(absent)}, not in the wheel")
    mismatched, weak = [], []
    for name, info in by_name.items():
        if name in unhashed or name not in listed:
            continue
        declared, size = listed[name]
        algorithm, _, value = declared.partition("=")
        if algorithm not in _HASHES or not value:
            weak.append(name)
            continue
        digest = hashlib.new(algorithm)
        received = 0
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(READ_CHUNK):
                    budget.add(len(chunk), name)
                    received += len(chunk)
                    digest.update(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            problems.append(f"member {name!r} is damaged: {error}")
            continue
        encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        if encoded != value.rstrip("=") or (size and size != str(received)):
            mismatched.append(name)
    if weak:
        problems.append(f"{where} has no sha256 (or stronger) hash for {_named(weak)}")
    if mismatched:
        problems.append(f"{where} hash or size does not match {_named(mismatched)}")
    return problems


# -- sdists ------------------------------------------------------------------------------------

def _check_sdist(artifact: Artifact, expected: tuple[str, Version],
                 limits: ScanLimits) -> list[str]:
    if not artifact.filename.endswith(".tar.gz"):
        return ["an sdist must be a .tar.gz archive (PEP 625); .zip sdists are not accepted"]
    try:
        with tarfile.open(artifact.path, mode="r:gz") as archive:
            tops, metadata = _sdist_members(archive, artifact.filename,
                                            _Budget(artifact.size, limits), limits)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        return [f"not a readable gzip-compressed tar archive ({error}): an sdist must be one"]
    if len(tops) != 1:
        found = _named(tops) if tops else "none"
        return [f"an sdist has one top directory {{name}}-{{version}}; this one has {found}"]
    (top,) = tops
    problems = []
    name, _, version = top.rpartition("-")
    try:
        matches = canonicalize_name(name) == expected[0] and Version(version) == expected[1]
    except InvalidVersion:
        matches = False
    if not matches:
        problems.append(f"the top directory {top!r} is not {expected[0]}-{expected[1]}")
    if top not in metadata:
        return [*problems, f"{top}/PKG-INFO is missing"]
    return problems + _metadata_problems(metadata[top], f"{top}/PKG-INFO", expected)


def _sdist_members(archive: tarfile.TarFile, filename: str, budget: _Budget,
                   limits: ScanLimits) -> tuple[set[str], dict[str, bytes]]:
    """The top directories of an sdist and the ``PKG-INFO`` found in each."""
    tops: set[str] = set()
    metadata: dict[str, bytes] = {}
    nodes: dict[str, Node] = {}
    links: list[str] = []
    for count, info in enumerate(archive, start=1):
        if count > limits.max_members:
            raise _Refused(f"more than {limits.max_members} members")
        check_member_name(filename, info.name)
        if not (info.isfile() or info.isdir() or info.issym() or info.islnk()):
            raise _Refused(f"member {info.name!r} is not a regular file")
        nodes[node_key(info.name)] = tar_node(info)
        if info.issym() or info.islnk():
            links.append(info.name)
        parts = PurePosixPath(info.name).parts
        if not parts:
            continue
        tops.add(parts[0])
        budget.add(info.size, info.name)
        if info.isfile() and len(parts) == 2 and parts[1] == "PKG-INFO":
            stream = archive.extractfile(info)
            if stream is not None:
                metadata[parts[0]] = _read_small(stream, info.name, limits)
    # hatchling keeps in-tree links (a README pointing at docs/index.md): the same rule as
    # every other reader, a link must end inside the archive (ArchiveError names it if not)
    for name in links:
        resolve_link(filename, name, nodes)
    return tops, metadata
