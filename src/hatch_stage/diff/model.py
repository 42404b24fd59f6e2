"""What changed between two releases, as plain frozen data with ``as_json``.

Computing a diff (:mod:`hatch_stage.diff.compare`) and showing it (the command line, the
registry's review page) are separate: everything a reader needs is here, and ``as_json``
is the one shape both print.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..models import ArtifactKind, TargetKind

if TYPE_CHECKING:  # only named in annotations: provenance loads cryptography
    from ..provenance import SignedBy

#: how a member, field, dependency or entry point differs from the previous release
Change = Literal["added", "removed", "changed"]
#: how a dependency's requirement changed; "loosened"/"tightened" when one set of allowed
#: versions contains the other
DependencyChangeKind = Literal["added", "removed", "loosened", "tightened", "changed"]


def _size_delta(old: int | None, new: int | None) -> int:
    return (new or 0) - (old or 0)


@dataclass(frozen=True)
class FileChange:
    """One member added, removed or changed inside an artifact."""

    #: the member's path inside the new artifact (inside the old one when removed)
    path: str
    change: Change
    old_size: int | None
    new_size: int | None
    old_sha256: str | None
    new_sha256: str | None
    #: True when the member is not UTF-8 text (compared by hash and size only)
    binary: bool = False
    #: a unified diff of a changed text member (``--files``), bounded in size
    diff: str | None = None
    #: why there is no (complete) diff: binary, too large, over the diff budget
    note: str = ""

    @property
    def size_delta(self) -> int:
        return _size_delta(self.old_size, self.new_size)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "path": self.path,
            "change": self.change,
            "old_size": self.old_size,
            "new_size": self.new_size,
            "size_delta": self.size_delta,
            "old_sha256": self.old_sha256,
            "new_sha256": self.new_sha256,
            "binary": self.binary,
        }
        if self.diff is not None:
            document["diff"] = self.diff
        if self.note:
            document["note"] = self.note
        return document


@dataclass(frozen=True)
class ArtifactDiff:
    """One staged file against its counterpart in the previous release."""

    filename: str
    kind: ArtifactKind
    #: the previous release's file it was compared with; None when there is none
    against: str | None
    #: every member that differs, in archive order (added and changed), then removed ones
    files: tuple[FileChange, ...]
    #: how many members are the same
    unchanged: int
    #: why there is no counterpart, when there is none
    note: str = ""
    #: every member of the new artifact: path -> sha256 (for rules; not in ``as_json``)
    members: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def count(self, change: Change) -> int:
        return sum(1 for file in self.files if file.change == change)

    def as_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "kind": self.kind,
            "against": self.against,
            "note": self.note,
            "counts": {
                "added": self.count("added"),
                "removed": self.count("removed"),
                "changed": self.count("changed"),
                "unchanged": self.unchanged,
            },
            "files": [file.as_json() for file in self.files],
        }


@dataclass(frozen=True)
class FieldChange:
    """One metadata field (or one value of a multi-valued field) that differs."""

    #: e.g. "Requires-Python", "Classifier", "Project-URL: Homepage", "scripts.postinstall",
    #: "build-system.requires"
    field: str
    change: Change
    old: str | None
    new: str | None
    #: for URLs: the new URL's host when no URL of the previous release was on it
    new_host: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "change": self.change, "old": self.old, "new": self.new,
                "new_host": self.new_host}


@dataclass(frozen=True)
class DependencyChange:
    """One dependency added, removed or with a different requirement."""

    #: the normalized distribution or package name
    name: str
    change: DependencyChangeKind
    #: the requirement as the previous release wrote it
    old: str | None
    #: the requirement as the staged release writes it
    new: str | None
    #: "" for a run-time dependency; "extra: NAME" for an optional one (Python); the
    #: manifest section for npm ("dependencies", "optionalDependencies", ...)
    group: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "change": self.change, "old": self.old, "new": self.new,
                "group": self.group}


@dataclass(frozen=True)
class EntryPointChange:
    """An entry point (Python) or ``bin`` entry (npm) added, removed or pointed elsewhere."""

    #: "console_scripts", "gui_scripts", another entry-point group, or "bin" (npm)
    group: str
    name: str
    change: Change
    old: str | None
    new: str | None

    def as_json(self) -> dict[str, Any]:
        return {"group": self.group, "name": self.name, "change": self.change,
                "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Flag:
    """Something a reviewer must look at, raised by a named review rule."""

    #: the rule's stable name, e.g. "pth-file"
    rule: str
    #: what was found and why it matters, written for the reviewer
    reason: str
    #: the staged file it concerns ("" for the release as a whole)
    artifact: str = ""
    #: the member it concerns ("" when none)
    member: str = ""
    #: 1-based line inside the member, when known
    line: int | None = None
    #: specifics that vary from release to release (sizes, counts); the reason stays stable
    #: so a changed member is flagged only for what its previous content did not raise
    detail: str = ""
    #: the plugin that raised it (filled in by the caller)
    plugin: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason, "artifact": self.artifact,
                "member": self.member, "line": self.line, "detail": self.detail,
                "plugin": self.plugin}


@dataclass(frozen=True)
class ChangedMember:
    """An added or changed member of a staged artifact, as member review rules see it."""

    #: the artifact's file name
    artifact: str
    kind: ArtifactKind
    #: the member's path inside the archive
    path: str
    #: "added" or "changed"; "previous" for the earlier content of a changed member, which
    #: rules see so that flags the earlier content raised too are dropped (a rule that flags
    #: any change, whatever the content, returns nothing for "previous")
    change: Literal["added", "changed", "previous"]
    size: int
    #: the first bytes of the member (file-type magic)
    head: bytes
    #: the member's bytes; None when over the per-member limit
    data: bytes | None

    @property
    def relative(self) -> str:
        """The path inside the distribution: without an sdist's or npm tarball's top folder."""
        if self.kind == "wheel":
            return self.path
        return self.path.partition("/")[2] or self.path

    @property
    def text(self) -> str | None:
        """The member as text, or None when it is not UTF-8 (or not held)."""
        if self.data is None:
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None


@dataclass(frozen=True)
class FileProvenance:
    """Who signed a staged file (its verified PEP 740 attestations), and who signed the file
    of the previous release it is compared with."""

    #: the staged file
    filename: str
    #: its signer as the registry verified it; None: the file has no provenance
    signed_by: SignedBy | None
    #: the previous release's file it is compared with, if any
    against: str | None = None
    #: that file's signer; None when it has no provenance (or there is no such file)
    previous: SignedBy | None = None

    def as_json(self) -> dict[str, Any]:
        return {"filename": self.filename,
                "signed_by": self.signed_by.as_json() if self.signed_by else None,
                "against": self.against,
                "previous": self.previous.as_json() if self.previous else None}


@dataclass(frozen=True)
class ReleaseDiff:
    """A staged release against the previous published one (``against`` None: a first release)."""

    target: TargetKind
    name: str
    version: str
    #: the version compared with; None when nothing was published before
    against: str | None
    artifacts: tuple[ArtifactDiff, ...]
    metadata: tuple[FieldChange, ...] = ()
    dependencies: tuple[DependencyChange, ...] = ()
    entry_points: tuple[EntryPointChange, ...] = ()
    flags: tuple[Flag, ...] = ()
    #: files of the previous release with no counterpart in the staged one
    unmatched: tuple[str, ...] = ()
    #: who signed each staged file and its counterpart (empty: provenance unknown, as on
    #: a registry that serves none)
    provenance: tuple[FileProvenance, ...] = ()
    #: who signed the previous release's files (each signer once)
    previous_signers: tuple[SignedBy, ...] = ()

    @property
    def first_release(self) -> bool:
        return self.against is None

    def counts(self) -> dict[str, int]:
        def total(change: Change) -> int:
            return sum(artifact.count(change) for artifact in self.artifacts)

        return {
            "flags": len(self.flags),
            "files_added": total("added"),
            "files_removed": total("removed"),
            "files_changed": total("changed"),
            "metadata_changes": len(self.metadata),
            "dependencies_added": sum(1 for d in self.dependencies if d.change == "added"),
            "dependency_changes": len(self.dependencies),
            "entry_point_changes": len(self.entry_points),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "name": self.name,
            "version": self.version,
            "against": self.against,
            "first_release": self.first_release,
            "counts": self.counts(),
            "flags": [flag.as_json() for flag in self.flags],
            "artifacts": [artifact.as_json() for artifact in self.artifacts],
            "unmatched": list(self.unmatched),
            "metadata": [change.as_json() for change in self.metadata],
            "dependencies": [change.as_json() for change in self.dependencies],
            "entry_points": [change.as_json() for change in self.entry_points],
            "provenance": {
                "files": [item.as_json() for item in self.provenance],
                "previous_signers": [signer.as_json() for signer in self.previous_signers],
            },
        }
