"""The data that crosses the pipeline's boundaries.

Every value a hook receives or returns is one of these frozen dataclasses, so a plugin
can rely on the shape and never mutate another stage's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

#: the kinds of artifact hatch-stage knows how to stage
ArtifactKind = Literal["wheel", "sdist", "npm-tarball"]
#: the ecosystems a project can belong to
TargetKind = Literal["python", "npm"]


#: bytes the client reads from a file, an archive member or an answer at a time, and sends at a
#: time: a read holds a few of these at most, so memory stays flat whatever the size
READ_CHUNK = 1 << 18


def sha256_of(path: Path, chunk_size: int = READ_CHUNK) -> str:
    """Hex sha256 of a file, read in chunks so memory stays flat."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=1 << 16)
def member_path(name: str) -> PurePosixPath:
    """The member ``name`` as a path, parsed once per name: the blocked-file, scan and score
    rules each look at every member of a release, and parsing a path costs more than most
    of those rules."""
    return PurePosixPath(name)


@dataclass(frozen=True)
class Project:
    """The project being staged, as read from its directory."""

    #: the project directory (where pyproject.toml or package.json lives)
    root: Path
    #: which ecosystem the release goes to
    target: TargetKind
    #: the distribution or package name, as the project declares it
    name: str
    #: the version being staged
    version: str
    #: the parsed project manifest (pyproject.toml or package.json)
    manifest: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Artifact:
    """One file that will be staged: a wheel, an sdist or an npm tarball on disk."""

    #: where the file is; after rewrite this is the rewritten copy
    path: Path
    #: what kind of archive it is
    kind: ArtifactKind

    @property
    def filename(self) -> str:
        """The file name the registry will serve."""
        return self.path.name

    @cached_property
    def size(self) -> int:
        """Size in bytes."""
        return self.path.stat().st_size

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 digest of the file."""
        return sha256_of(self.path)

    @classmethod
    def from_path(cls, path: Path) -> Artifact:
        """Classify a file by its name; raises ``ValueError`` for an unknown kind."""
        name = path.name
        if name.endswith(".whl"):
            return cls(path, "wheel")
        if name.endswith((".tar.gz", ".zip")) and not name.endswith(".tgz"):
            return cls(path, "sdist")
        if name.endswith(".tgz"):
            return cls(path, "npm-tarball")
        raise ValueError(f"{name}: not a wheel (.whl), sdist (.tar.gz) or npm tarball (.tgz)")


@dataclass(frozen=True)
class Member:
    """One file inside an artifact, read into memory by :mod:`hatch_stage.archive`."""

    #: the artifact's file name
    artifact: str
    #: the member's path inside the archive
    name: str
    #: the member's bytes (empty when ``binary``)
    data: bytes
    #: True when the member is not UTF-8 text and was left unread, as
    #: ``iter_members(..., skip_binary=True)`` does for scanners that only read text
    binary: bool = False
    #: for a symbolic or hard link inside the archive: the member it leads to, whose bytes
    #: ``data`` holds (scanners read that member under its own name already)
    link: str | None = None


@dataclass(frozen=True)
class Finding:
    """A secret, or a file that must never ship, found in an artifact."""

    #: the artifact's file name
    artifact: str
    #: the member's path inside the archive
    member: str
    #: 1-based line number, or None for a blocked file
    line: int | None
    #: what was found, e.g. "AWS Access Key" or "Blocked file"
    type: str
    #: the secret with all but a few characters masked; never the secret itself
    masked: str
    #: sha1 of the secret (detect-secrets' ``hashed_secret``), for baselines
    hashed_secret: str = ""
    #: which plugin reported it
    plugin: str = ""
    #: "high" (blocks the release) or "low" (reported, does not block unless ``--strict``);
    #: an outside plugin's finding is high unless the plugin says otherwise
    confidence: str = "high"
    #: the confidence rule that placed it, e.g. "provider-format" or "in-tests"
    rule: str = ""
    #: more about what was found, e.g. why a file is blocked
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "member": self.member,
            "line": self.line,
            "type": self.type,
            "masked": self.masked,
            "hashed_secret": self.hashed_secret,
            "plugin": self.plugin,
            "confidence": self.confidence,
            "rule": self.rule,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Note:
    """Something the user should know about how the release was packed or scanned: why no
    wheel was built, links read as their targets, a file the scan's parser could not read
    (it was then scanned line by line). A scan plugin may return these among its findings;
    a pack plugin appends them to the list it is given."""

    #: what happened, written for the user
    message: str
    #: the artifact's file name, when the note is about one
    artifact: str = ""
    #: the member's path inside the archive, when the note is about one
    member: str = ""
    #: which plugin noted it
    plugin: str = ""

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.artifact, self.member) if part)
        return f"{where}: {self.message}" if where else self.message

    def as_json(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "member": self.member, "message": self.message,
                "plugin": self.plugin}


@dataclass(frozen=True)
class Check:
    """One named quality check and the points it earned."""

    #: short stable name, e.g. "readme"
    name: str
    #: points earned (0..max_points)
    points: int
    #: points available
    max_points: int
    #: why it passed or failed, written for the user
    reason: str
    #: which plugin scored it
    plugin: str = ""

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "points": self.points,
            "max_points": self.max_points,
            "passed": self.passed,
            "reason": self.reason,
            "plugin": self.plugin,
        }


def quality_score(checks: Sequence[Check]) -> int:
    """The 0-100 score: points earned over points available, rounded down."""
    available = sum(check.max_points for check in checks)
    if available == 0:
        return 100
    earned = sum(min(check.points, check.max_points) for check in checks)
    return (100 * earned) // available


@dataclass(frozen=True)
class Credentials:
    """What auth resolved: a token and where it came from (never printed)."""

    #: the secret; only the upload code reads it
    token: str = field(repr=False)
    #: where it came from: "oidc", "env", "keyring", "pypirc", "npmrc", "local"
    source: str
    #: user name for HTTP basic auth, when the protocol uses it
    username: str = "__token__"


@dataclass(frozen=True)
class Attestation:
    """Provenance for one artifact: a PEP 740 attestation or an npm sigstore bundle."""

    #: the artifact file name it covers
    artifact: str
    #: the file holding the attestation JSON
    path: Path


@dataclass(frozen=True)
class StagedRelease:
    """What the registry answered when the release was staged."""

    #: the id a maintainer approves or rejects
    stage_id: str
    #: where testers can install it from before approval (Python), or ""
    preview_url: str
    #: the registry's raw answer, for ``--json``
    data: Mapping[str, Any] = field(default_factory=dict)
