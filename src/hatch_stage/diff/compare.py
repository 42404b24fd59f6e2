"""Comparing a staged release with the previous one, artifact by artifact, member by member.

Each staged file is paired with its counterpart (sdist with sdist, wheel with the previous
wheel of the same tags, npm tarball with tarball), and each pair is read in at most three
streaming passes, so memory stays at about one member whatever the archives hold:

1. the previous file: every member's size and sha256, and the few metadata documents;
2. the staged file: every member hashed; added and changed members go through the member
   review rules while their bytes are in hand;
3. the previous file again, only when needed and only the members needed: the earlier
   content of changed members that raised a flag (a changed member is flagged only for what
   its earlier content did not already raise) and, with text diffs, of changed text members.

Archives are untrusted: they are read only through :func:`hatch_stage.archive.iter_entries`.
This module imports no pipeline, plugin, command or registry code; review rules come in as
a :class:`Rules` object, so the client (its plugins) and the registry can both call it.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ..archive import HEAD, iter_entries
from ..config import ScanLimits
from ..models import Artifact, TargetKind
from . import npm, python
from .model import (
    ArtifactDiff,
    ChangedMember,
    DependencyChange,
    EntryPointChange,
    FieldChange,
    FileChange,
    FileProvenance,
    Flag,
    ReleaseDiff,
)
from .textdiff import DiffBudget, DiffLimits

if TYPE_CHECKING:  # only named in annotations: provenance loads cryptography
    from ..provenance import SignedBy

#: a wheel's ``name-1.0.dist-info/`` and ``name-1.0.data/`` folders, compared across versions
_VERSIONED_FOLDER = re.compile(r"^([^/]+?)-[^/-]+\.(dist-info|data)/")
#: text held for diffs, across a release, while the previous side is read again
_MAX_PENDING_TEXT = 32 * 1024 * 1024
#: compressed bytes of the previous side kept per artifact for text diffs
_MAX_CACHE = 48 * 1024 * 1024


class Rules(Protocol):
    """The review rules a comparison applies (the client's come from its plugins)."""

    def member(self, member: ChangedMember) -> list[Flag]:
        """Flags for one added or changed member."""

    def release(self, diff: ReleaseDiff) -> list[Flag]:
        """Flags for the release as a whole."""


class NoRules:
    """Compare without flagging anything."""

    def member(self, member: ChangedMember) -> list[Flag]:
        return []

    def release(self, diff: ReleaseDiff) -> list[Flag]:
        return []


def member_key(artifact: Artifact, name: str) -> str:
    """What a member is matched on across versions: a wheel's versioned folders without the
    version, an sdist's or tarball's path without its top folder."""
    if artifact.kind == "wheel":
        return _VERSIONED_FOLDER.sub(r"\1.\2/", name)
    return name.partition("/")[2] or name


#: member key -> which document it is, per artifact kind
def _document(artifact: Artifact, key: str) -> str | None:
    if artifact.kind == "wheel":
        folder, _, base = key.partition("/")
        if folder.endswith(".dist-info") and base in ("METADATA", "entry_points.txt"):
            return base
        return None
    if artifact.kind == "sdist":
        return key if key in ("PKG-INFO", "pyproject.toml") else None
    return key if key == "package.json" else None


@dataclass(frozen=True)
class _Seen:
    path: str
    size: int
    sha256: str


@dataclass
class _Pair:
    """What the passes over one staged file and its counterpart learnt."""

    new: Artifact
    old: Artifact | None
    note: str = ""
    documents: dict[str, bytes] = field(default_factory=dict)
    old_documents: dict[str, bytes] = field(default_factory=dict)
    diff: ArtifactDiff | None = None
    flags: list[Flag] = field(default_factory=list)


def _tags(artifact: Artifact) -> frozenset[str]:
    try:
        return frozenset(str(tag) for tag in parse_wheel_filename(artifact.filename)[3])
    except InvalidWheelFilename:
        return frozenset()


def pair_artifacts(staged: Sequence[Artifact], previous: Sequence[Artifact]) -> (
    tuple[list[_Pair], tuple[str, ...]]
):
    """Each staged file with its counterpart; and the previous files nothing was paired with."""
    pairs = []
    used: set[str] = set()
    for artifact in staged:
        same_kind = [old for old in previous if old.kind == artifact.kind]
        note = ""
        if artifact.kind == "wheel" and same_kind:
            tags = _tags(artifact)
            exact = [old for old in same_kind if _tags(old) == tags]
            best = max(same_kind, key=lambda old: len(_tags(old) & tags))
            same_kind = exact or ([best] if _tags(best) & tags else [])
            if not same_kind:
                note = f"no earlier wheel shares its tags ({', '.join(sorted(tags))})"
        elif not same_kind and previous:
            note = f"the previous release has no {artifact.kind}"
        old = same_kind[0] if same_kind else None
        if old is not None:
            used.add(old.filename)
        pairs.append(_Pair(artifact, old, note))
    unmatched = tuple(old.filename for old in previous if old.filename not in used)
    return pairs, unmatched


class _Comparison:
    def __init__(self, rules: Rules, limits: ScanLimits, text_diffs: DiffLimits | None) -> None:
        self.rules = rules
        self.limits = limits
        self.budget = DiffBudget(text_diffs) if text_diffs is not None else None
        self.pending_text = 0

    def member_flags(self, member: ChangedMember) -> list[Flag]:
        return [flag if flag.artifact and flag.member else dataclasses.replace(
            flag, artifact=flag.artifact or member.artifact, member=flag.member or member.path)
            for flag in self.rules.member(member)]

    def run(self, pair: _Pair) -> None:
        new, old = pair.new, pair.old
        before: dict[str, _Seen] = {}
        # with text diffs, the earlier side of small members is kept (compressed, bounded)
        # so that a gzip-compressed tar need not be decompressed a second time
        cache: dict[str, bytes] = {}
        cached = 0
        diffable = self.budget.limits.max_member_bytes if self.budget is not None else -1
        if old is not None:
            for entry in iter_entries(old, self.limits, hold=lambda name: diffable > 0 or
                                      _document(old, member_key(old, name)) is not None):
                key = member_key(old, entry.name)
                before[key] = _Seen(entry.name, entry.size, entry.sha256)
                document = _document(old, key)
                if document and entry.data is not None:
                    pair.old_documents[document] = entry.data
                if entry.data is not None and entry.size <= diffable and cached < _MAX_CACHE:
                    cache[key] = zlib.compress(entry.data, 1)
                    cached += len(cache[key])
        files: list[FileChange] = []
        #: changed members that raised flags: key -> (earlier path, flags)
        recheck: dict[str, tuple[str, list[Flag]]] = {}
        pending: dict[str, tuple[int, str]] = {}
        members: dict[str, str] = {}
        unchanged = 0
        for entry in iter_entries(new, self.limits):
            key = member_key(new, entry.name)
            members[entry.name] = entry.sha256
            document = _document(new, key)
            if document and entry.data is not None:
                pair.documents[document] = entry.data
            earlier = before.pop(key, None)
            if earlier is not None and earlier.sha256 == entry.sha256:
                unchanged += 1
                continue
            member = ChangedMember(new.filename, new.kind, entry.name,
                                   "changed" if earlier else "added", entry.size, entry.head,
                                   entry.data)
            text = member.text
            flags = self.member_flags(member)
            if flags and earlier is not None:
                recheck[key] = (earlier.path, flags)
            else:
                pair.flags += flags
            change = FileChange(entry.name, "changed" if earlier else "added",
                                earlier.size if earlier else None,
                                entry.size, earlier.sha256 if earlier else None, entry.sha256,
                                binary=text is None)
            if self.budget is not None and earlier is not None:
                change = self._hold_for_diff(change, text, earlier, key, len(files), pending)
            files.append(change)
        files += [FileChange(seen.path, "removed", seen.size, None, seen.sha256, None)
                  for seen in before.values()]
        for key in [key for key in {**recheck, **pending} if key in cache]:
            self._settle(key, zlib.decompress(cache[key]), files, recheck, pending, pair)
        if old is not None and (recheck or pending):
            self._second_look(old, files, recheck, pending, pair)
        pair.flags += [flag for _path, flags in recheck.values() for flag in flags]
        pair.diff = ArtifactDiff(new.filename, new.kind, old.filename if old else None,
                                 tuple(files), unchanged, pair.note, members)

    def _hold_for_diff(self, change: FileChange, text: str | None, earlier: _Seen, key: str,
                       index: int, pending: dict[str, tuple[int, str]]) -> FileChange:
        assert self.budget is not None
        if text is None:
            return dataclasses.replace(change, note="binary: compared by size and sha256")
        why = self.budget.can_diff(max(earlier.size, change.new_size or 0))
        if not why and self.pending_text + len(text) > _MAX_PENDING_TEXT:
            why = "diff left out: this release's diff allowance is used up"
        if why:
            return dataclasses.replace(change, note=why)
        self.pending_text += len(text)
        pending[key] = (index, text)
        return change

    def _second_look(self, old: Artifact, files: list[FileChange],
                     recheck: dict[str, tuple[str, list[Flag]]],
                     pending: dict[str, tuple[int, str]],
                     pair: _Pair) -> None:
        """Read the earlier content of the members still waiting for it."""
        wanted = set(recheck) | set(pending)
        for entry in iter_entries(old, self.limits,
                                  select=lambda name: member_key(old, name) in wanted):
            self._settle(member_key(old, entry.name), entry.data, files, recheck, pending, pair)
        self.pending_text = 0

    def _settle(self, key: str, earlier: bytes | None, files: list[FileChange],
                recheck: dict[str, tuple[str, list[Flag]]], pending: dict[str, tuple[int, str]],
                pair: _Pair) -> None:
        """Finish a changed member with its earlier content: drop the flags that content
        raised too, and diff the text."""
        old = pair.old
        assert old is not None
        if key in recheck:
            path, flags = recheck.pop(key)
            previous = ChangedMember(old.filename, old.kind, path, "previous",
                                     len(earlier or b""), (earlier or b"")[:HEAD], earlier)
            raised = {(flag.rule, flag.reason) for flag in self.member_flags(previous)}
            pair.flags += [flag for flag in flags if (flag.rule, flag.reason) not in raised]
        if key in pending and self.budget is not None:
            index, new_text = pending.pop(key)
            try:
                old_text = (earlier or b"").decode("utf-8")
            except UnicodeDecodeError:
                files[index] = dataclasses.replace(files[index], note="was binary before")
                return
            text, note = self.budget.unified(files[index].path, old_text, new_text)
            files[index] = dataclasses.replace(files[index], diff=text, note=note)


_Changes = tuple[
    tuple[FieldChange, ...], tuple[DependencyChange, ...], tuple[EntryPointChange, ...]]


def _metadata(pairs: Sequence[_Pair], target: TargetKind, first: bool) -> _Changes:
    """Metadata, dependency and entry-point changes, from the pairs' documents."""
    def document(name: str, kind: str, old: bool) -> bytes | None:
        for pair in pairs:
            source = pair.old_documents if old else pair.documents
            if pair.new.kind == kind and name in source:
                return source[name]
        return None

    if target == "npm":
        before = npm.parse_manifest(document("package.json", "npm-tarball", True))
        after = npm.parse_manifest(document("package.json", "npm-tarball", False))
        return (tuple(npm.manifest_changes(before, after, first)),
                tuple(npm.dependency_changes(before, after)),
                tuple(npm.bin_changes(before, after)))

    def core(old: bool) -> bytes | None:
        return document("METADATA", "wheel", old) or document("PKG-INFO", "sdist", old)

    changes: list[FieldChange] = python.metadata_changes(core(True), core(False), first)
    changes += python.build_changes(document("pyproject.toml", "sdist", True),
                                    document("pyproject.toml", "sdist", False), first)
    entry_points = python.entry_point_changes(
        python.parse_entry_points(document("entry_points.txt", "wheel", True)),
        python.parse_entry_points(document("entry_points.txt", "wheel", False)))
    return (tuple(changes), tuple(python.dependency_changes(core(True), core(False))),
            tuple(entry_points))


def _provenance(pairs: Sequence[_Pair], previous: Sequence[Artifact],
                signers: Mapping[str, SignedBy | None]) -> dict[str, Any]:
    files = tuple(FileProvenance(pair.new.filename, signers.get(pair.new.filename),
                                 pair.old.filename if pair.old else None,
                                 signers.get(pair.old.filename) if pair.old else None)
                  for pair in pairs)
    earlier = [signer for artifact in previous
               if (signer := signers.get(artifact.filename)) is not None]
    return {"provenance": files, "previous_signers": tuple(dict.fromkeys(earlier))}


def compare_releases(
    staged: Sequence[Artifact],
    previous: Sequence[Artifact],
    *,
    target: TargetKind,
    name: str,
    version: str,
    against: str | None,
    rules: Rules | None = None,
    limits: ScanLimits | None = None,
    text_diffs: DiffLimits | None = None,
    signers: Mapping[str, SignedBy | None] | None = None,
) -> ReleaseDiff:
    """The staged release's files against the ``previous`` release's (``against`` its version;
    None and no files for a first release, where everything is added).

    :param text_diffs: when given, changed text members get unified diffs within these bounds
    :param signers: who signed each file, staged and previous, by file name (None: no
        provenance); None when the registry serves no provenance at all
    """
    rules = rules or NoRules()
    comparison = _Comparison(rules, limits or ScanLimits(), text_diffs)
    pairs, unmatched = pair_artifacts(staged, previous)
    for pair in pairs:
        comparison.run(pair)
    metadata, dependencies, entry_points = _metadata(pairs, target, first=against is None)
    diff = ReleaseDiff(target, name, version, against,
                       tuple(pair.diff for pair in pairs if pair.diff is not None),
                       metadata, dependencies, entry_points, unmatched=unmatched)
    if signers is not None:
        diff = dataclasses.replace(diff, **_provenance(pairs, previous, signers))
    member_flags = [flag for pair in pairs for flag in pair.flags]
    return dataclasses.replace(diff, flags=(*member_flags, *rules.release(diff)))
