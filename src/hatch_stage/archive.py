"""Reading artifacts as untrusted input.

Every stage that looks inside a wheel, sdist or npm tarball goes through :func:`iter_members`,
which reads members into memory (nothing is extracted to disk) and refuses, with an error
naming the artifact and member, anything that could hurt: absolute or ``..`` paths, device
files, links that lead outside the archive (:mod:`hatch_stage.archive_links`), members or
totals over the size limits, and compression ratios that signal a decompression bomb.

A symbolic or hard link that ends on a regular member of the same archive is read, after
the regular members, as that member under the link's name (``Member.link`` names the
target); it counts against the limits like any member. One that stays inside but ends on a
directory or on nothing has no content and is not yielded.

Scanners that only read text pass ``skip_binary=True``: members are then read a chunk at a
time through a UTF-8 decoder, and one that is not UTF-8 is left unread at its first bad byte
(``Member.binary``, empty data), so a wheel carrying a 300 MB model or shared library costs
a chunk of memory, not 300 MB, and is not refused for its size.

Comparing releases needs every member's size and sha256 but the bytes of only some:
:func:`iter_entries` streams each member through a hash a chunk at a time and holds the bytes
only of members the caller asks for (still bounded per member), under the same limits.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Protocol, TypeVar

from .archive_links import Node, node_key, resolve_link
from .config import ScanLimits
from .errors import ArchiveError
from .models import READ_CHUNK, Artifact, Member

#: how many leading bytes an :class:`Entry` keeps (enough for any file-type magic number)
HEAD = 64

_T = TypeVar("_T")
#: reads one member: (artifact, member name, stream, budget) -> what the walk yields, or None
#: to leave the member unread and yield nothing for it
_Reader = Callable[[Artifact, str, IO[bytes], "_Budget"], "_T | None"]
#: marks what was read through a link as a link to the member it leads to
_Linked = Callable[[_T, str], _T]
#: the most a zip link's stored target may be; real ones are a path
MAX_LINK_TARGET = 4096


class SharedReading(Protocol):
    """One read of each artifact, shared by the readers of a run
    (:class:`hatch_stage.contents.Contents`); None from either method: read the archive."""

    def members(self, artifact: Artifact, limits: ScanLimits,
                skip_binary: bool) -> Iterator[Member] | None: ...

    def links(self, artifact: Artifact, limits: ScanLimits) -> list[tuple[str, str]] | None: ...


#: the reading of a run's artifacts that its stages share, while one is open
#: (:func:`hatch_stage.contents.shared_reading`)
SHARED_READING: ContextVar[SharedReading | None] = ContextVar("hatch_stage_shared_reading",
                                                               default=None)


@dataclass(frozen=True)
class Entry:
    """One member of an archive as :func:`iter_entries` saw it: always its size and digest."""

    #: the member's path inside the archive
    name: str
    #: uncompressed size in bytes
    size: int
    #: hex sha256 of the member's bytes
    sha256: str
    #: the first bytes (up to 64), to tell file types apart
    head: bytes
    #: the whole member, when the caller asked to hold it and it is within the member limit
    data: bytes | None


def check_member_name(artifact: str, name: str) -> None:
    """Refuse member paths that would escape an extraction directory."""
    # plain string operations: this runs for every member of every archive read
    path = name.replace("\\", "/")
    if path.startswith("/") or ".." in path.split("/") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{artifact}: member {name!r} has an unsafe path (absolute or '..')")


class _Budget:
    """Tracks what one artifact has cost so far against the limits."""

    def __init__(self, artifact: Artifact, limits: ScanLimits) -> None:
        self.artifact = artifact
        self.limits = limits
        self.members = 0
        self.total = 0
        self.compressed = max(artifact.size, 1)

    def admit(self, name: str, declared_size: int, *, skip_binary: bool = False) -> None:
        limits = self.limits
        self.members += 1
        if self.members > limits.max_members:
            raise ArchiveError(f"{self.artifact.filename}: more than {limits.max_members} members")
        # a binary member over the limit is fine when it will not be held: the text limit is
        # then enforced while reading
        if declared_size > limits.max_member_bytes and not skip_binary:
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


def _over_limit(name: str, budget: _Budget) -> ArchiveError:
    limit = budget.limits.max_member_bytes
    return ArchiveError(
        f"{budget.artifact.filename}: member {name!r} is over the {limit}-byte limit per member"
    )


def _read_bounded(stream: IO[bytes], name: str, budget: _Budget) -> bytes:
    # declared sizes can lie: never read more than the limit allows
    limit = budget.limits.max_member_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _over_limit(name, budget)
    budget.consume(name, len(data))
    return data


def _read_text(stream: IO[bytes], name: str, budget: _Budget) -> bytes | None:
    """The member's bytes if they are all UTF-8; None, read no further, if they are not.

    The same verdict as decoding the whole member at once: the incremental decoder raises at
    the first byte no continuation could make valid, and at the end on a cut-off sequence.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts: list[bytes] = []
    held = 0
    try:
        while chunk := stream.read(READ_CHUNK):
            budget.consume(name, len(chunk))
            decoder.decode(chunk)
            held += len(chunk)
            if held > budget.limits.max_member_bytes:
                raise _over_limit(name, budget)
            parts.append(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return b"".join(parts)


def _member(
    artifact: Artifact, name: str, stream: IO[bytes], budget: _Budget, skip_binary: bool
) -> Member:
    if not skip_binary:
        return Member(artifact.filename, name, _read_bounded(stream, name, budget))
    data = _read_text(stream, name, budget)
    if data is None:
        return Member(artifact.filename, name, b"", binary=True)
    return Member(artifact.filename, name, data)


def is_zip_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def zip_link_target(artifact: Artifact, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """The path a zip symbolic link stores as its data (bounded, UTF-8)."""
    with archive.open(info) as stream:
        raw = stream.read(MAX_LINK_TARGET + 1)
    try:
        if len(raw) <= MAX_LINK_TARGET:
            return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    raise ArchiveError(f"{artifact.filename}: member {info.filename!r} is a symbolic link with "
                       "an unreadable target; refused")


def _zip_nodes(artifact: Artifact, archive: zipfile.ZipFile) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for info in archive.infolist():
        key = node_key(info.filename)
        if info.is_dir():
            nodes[key] = ("dir", "")
        elif is_zip_link(info):
            nodes[key] = ("symlink", zip_link_target(artifact, archive, info))
        else:
            nodes[key] = ("file", "")
    return nodes


def _zip_walk(
    artifact: Artifact, limits: ScanLimits, streamed: bool, read: _Reader[_T], linked: _Linked[_T],
    seen_links: list[tuple[str, str]],
) -> Iterator[_T]:
    budget = _Budget(artifact, limits)
    links: list[str] = []
    with zipfile.ZipFile(artifact.path) as archive:
        for info in archive.infolist():
            check_member_name(artifact.filename, info.filename)
            if info.is_dir():
                continue
            budget.admit(info.filename, info.file_size, skip_binary=streamed)
            if is_zip_link(info):
                links.append(info.filename)
                continue
            with archive.open(info) as stream:
                member = read(artifact, info.filename, stream, budget)
            if member is not None:
                yield member
        if links:
            nodes = _zip_nodes(artifact, archive)
            seen_links.extend((name, nodes[node_key(name)][1]) for name in links)
            by_key = {node_key(info.filename): info for info in archive.infolist()}
            for name in links:
                target = resolve_link(artifact.filename, name, nodes)
                if target is None:
                    continue
                with archive.open(by_key[target]) as stream:
                    member = read(artifact, name, stream, budget)
                if member is not None:
                    yield linked(member, target)


def tar_node(info: tarfile.TarInfo) -> Node:
    """A tar member as :mod:`.archive_links` walks it."""
    if info.isdir():
        return ("dir", "")
    if info.issym():
        return ("symlink", info.linkname)
    if info.islnk():
        return ("hardlink", info.linkname)
    return ("file", "") if info.isfile() else ("other", "")


def _tar_walk(
    artifact: Artifact, limits: ScanLimits, streamed: bool, read: _Reader[_T], linked: _Linked[_T],
    seen_links: list[tuple[str, str]],
) -> Iterator[_T]:
    budget = _Budget(artifact, limits)
    links: list[str] = []
    nodes: dict[str, Node] = {}
    with tarfile.open(artifact.path, mode="r:*") as archive:
        for info in archive:
            check_member_name(artifact.filename, info.name)
            nodes[node_key(info.name)] = tar_node(info)
            if info.isdir():
                continue
            if info.issym() or info.islnk():
                budget.admit(info.name, 0, skip_binary=streamed)
                links.append(info.name)
                seen_links.append((info.name, info.linkname))
                continue
            if not info.isfile():
                raise ArchiveError(
                    f"{artifact.filename}: member {info.name!r} is not a regular file"
                )
            budget.admit(info.name, info.size, skip_binary=streamed)
            stream = archive.extractfile(info)
            if stream is None:  # pragma: no cover - regular files always have a stream
                continue
            with stream:
                member = read(artifact, info.name, stream, budget)
            if member is not None:
                yield member
    if links:
        yield from _tar_links(artifact, links, nodes, budget, read, linked)


def _tar_links(
    artifact: Artifact,
    links: list[str],
    nodes: dict[str, Node],
    budget: _Budget,
    read: _Reader[_T],
    linked: _Linked[_T],
) -> Iterator[_T]:
    """Each link read as the member it leads to, in one more pass over the archive.

    One pass rather than a seek back per link: a gzip stream can only seek back by
    decompressing from the start. Each link is read (and counted) like a member of its own.
    """
    by_target: dict[str, list[str]] = {}
    for name in links:
        target = resolve_link(artifact.filename, name, nodes)
        if target is not None:
            by_target.setdefault(target, []).append(name)
    with tarfile.open(artifact.path, mode="r:*") as archive:
        for info in archive:
            key = node_key(info.name)
            names = by_target.pop(key, []) if info.isfile() else []
            for name in names:
                stream = archive.extractfile(info)
                if stream is None:  # pragma: no cover - regular files always have a stream
                    continue
                with stream:
                    member = read(artifact, name, stream, budget)
                if member is not None:
                    yield linked(member, key)


def _walk(
    artifact: Artifact,
    limits: ScanLimits,
    streamed: bool,
    read: _Reader[_T],
    linked: _Linked[_T] = lambda item, target: item,
    seen_links: list[tuple[str, str]] | None = None,
) -> Iterator[_T]:
    """Every member ``read`` yields something for; ``seen_links`` gets (link, target as stored)
    of every link met on the way."""
    seen = seen_links if seen_links is not None else []
    try:
        if artifact.path.name.endswith((".whl", ".zip")):
            yield from _zip_walk(artifact, limits, streamed, read, linked, seen)
        else:
            yield from _tar_walk(artifact, limits, streamed, read, linked, seen)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError) as error:
        raise ArchiveError(f"{artifact.filename}: not a readable archive ({error})") from None


def iter_members(
    artifact: Artifact, limits: ScanLimits, *, skip_binary: bool = False
) -> Iterator[Member]:
    """Yield every regular file of ``artifact`` with its bytes, enforcing ``limits``.

    With ``skip_binary``, a member that is not UTF-8 text is yielded unread (``binary`` set,
    ``data`` empty), whatever its size; text members are read as usual.

    Inside a shared reading (:func:`hatch_stage.contents.shared_reading`, which a pipeline run
    and the registry's inspection open), the members come from the one read of the artifact
    that every stage shares; they are the same members either way.

    Raises :class:`ArchiveError` for an unsafe or unreadable archive.
    """
    shared = SHARED_READING.get()
    if shared is not None:
        served = shared.members(artifact, limits, skip_binary)
        if served is not None:
            return served
    return read_members(artifact, limits, skip_binary=skip_binary)


def read_members(
    artifact: Artifact, limits: ScanLimits, *, skip_binary: bool = False,
    seen_links: list[tuple[str, str]] | None = None,
) -> Iterator[Member]:
    """:func:`iter_members` reading the archive itself, whatever reading is shared;
    ``seen_links`` gets (link, target as stored) of every link in the archive."""

    def read(artifact: Artifact, name: str, stream: IO[bytes], budget: _Budget) -> Member:
        return _member(artifact, name, stream, budget, skip_binary)

    def linked(member: Member, target: str) -> Member:
        return dataclasses.replace(member, link=target)

    return _walk(artifact, limits, skip_binary, read, linked, seen_links)


def iter_entries(
    artifact: Artifact,
    limits: ScanLimits,
    hold: Callable[[str], bool] = lambda name: True,
    select: Callable[[str], bool] | None = None,
) -> Iterator[Entry]:
    """Yield every regular file of ``artifact`` with its size and sha256, read a chunk at a time.

    ``hold(name)`` says whether to keep a member's bytes in :attr:`Entry.data`; a held member
    over ``limits.max_member_bytes`` is hashed but not held (``data`` None), never refused,
    so memory stays at one member whatever the archive holds. ``select(name)``, when given,
    picks the members to read at all: the others are skipped unread (a zip member is not
    even decompressed). Same refusals as :func:`iter_members`.
    """

    def read(artifact: Artifact, name: str, stream: IO[bytes], budget: _Budget) -> Entry | None:
        if select is not None and not select(name):
            return None
        digest = hashlib.sha256()
        keep = hold(name)
        parts: list[bytes] = []
        size = 0
        head = b""
        while chunk := stream.read(READ_CHUNK):
            budget.consume(name, len(chunk))
            digest.update(chunk)
            size += len(chunk)
            if len(head) < HEAD:
                head += chunk[: HEAD - len(head)]
            if keep and size > limits.max_member_bytes:
                keep, parts = False, []
            elif keep:
                parts.append(chunk)
        return Entry(name, size, digest.hexdigest(), head, b"".join(parts) if keep else None)

    return _walk(artifact, limits, True, read)


def list_links(artifact: Artifact, limits: ScanLimits | None = None) -> list[tuple[str, str]]:
    """(member, target as stored) of every symbolic or hard link, from the headers alone.

    Nothing is resolved or refused here; :func:`iter_members` does that when it reads them.
    Inside a shared reading the artifact is read once for every stage, under ``limits``.
    """
    shared = SHARED_READING.get()
    if shared is not None:
        links = shared.links(artifact, limits or ScanLimits())
        if links is not None:
            return links
    try:
        if artifact.path.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(artifact.path) as archive:
                return [(info.filename, zip_link_target(artifact, archive, info))
                        for info in archive.infolist() if is_zip_link(info)]
        with tarfile.open(artifact.path, mode="r:*") as archive:
            return [(info.name, info.linkname) for info in archive
                    if info.issym() or info.islnk()]
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError) as error:
        raise ArchiveError(f"{artifact.filename}: not a readable archive ({error})") from None


def link_notes(artifacts: Sequence[Artifact], limits: ScanLimits, most: int = 5) -> list[str]:
    """A note per artifact holding links: they are read as the members they lead to."""
    notes = []
    for artifact in artifacts:
        links = list_links(artifact, limits)
        if links:
            shown = ", ".join(f"{name.partition('/')[2] if artifact.kind == 'sdist' else name}"
                              f" -> {target}" for name, target in links[:most])
            more = f" and {len(links) - most} more" if len(links) > most else ""
            notes.append(f"{artifact.filename} holds {len(links)} link(s), read as the members "
                         f"they lead to: {shown}{more}")
    return notes
