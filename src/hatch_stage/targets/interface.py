"""The role every registry protocol client plays for list, view, download, approve, reject.

One implementation per protocol beside this file (``pep694`` for Python indexes, ``npm`` for
npm's ``/-/stage`` API). Commands talk only to this interface, so a command never knows
which ecosystem it is serving.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from ..diff.previous import comparable, latest_before
from ..errors import RegistryError


@dataclass(frozen=True)
class StagedItem:
    """One staged release as a registry reports it."""

    #: the id to approve or reject
    stage_id: str
    #: package / distribution name
    name: str
    #: staged version
    version: str
    #: dist-tag or channel, when the registry keeps one
    tag: str | None = None
    #: when it was staged (ISO 8601), when known
    created_at: str | None = None
    #: status, e.g. "open", "published", "canceled"
    status: str | None = None
    #: the registry's own record, for --json
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: what an approval of exactly this release names: the release digest of its files
    #: (Python, :mod:`hatch_stage.digest`) or its tarball's integrity (npm); None when the
    #: registry reports nothing to bind to
    digest: str | None = None
    #: the files an approval would publish, file name -> the hash shown for it
    files: Mapping[str, str] = field(default_factory=dict)


#: the status of a group's member that is no longer staged (approved or rejected since)
GONE = "gone"


@dataclass(frozen=True)
class StagedGroup:
    """Staged releases to be decided together, in order (see :mod:`.groups`)."""

    id: str
    #: the members in the order to decide them
    members: tuple[StagedItem, ...]
    created_at: str | None = None
    #: what the members' states add up to (open, published, canceled, error, mixed ...)
    status: str | None = None
    #: "registry" when the registry keeps the group, "local" when only this machine does
    kept: str = "registry"
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def waiting(self) -> tuple[StagedItem, ...]:
        """The members still staged, awaiting a decision."""
        return tuple(item for item in self.members
                     if item.status in ("open", "error", "staged", None))


@dataclass(frozen=True)
class PublishedFile:
    """One file of a published release, as the registry's index lists it."""

    filename: str
    #: absolute URL to download it from
    url: str
    #: the hash the registry published for it ("sha256", "sha512", "sha1") and its hex digest
    algorithm: str
    digest: str | None
    #: where its PEP 740 provenance object is (the index's ``provenance``), if it has one
    provenance: str | None = None


@dataclass(frozen=True)
class PublishedRelease:
    """A release already live on the registry, to compare a staged one with."""

    version: str
    files: tuple[PublishedFile, ...]


def previous_version(published: Iterable[str], staged: str, against: str | None,
                     order: Callable[[str], Any]) -> str | None:
    """Which published version a staged one is compared with.

    ``against`` when given (it must be published); else the highest published version below
    the staged one; else (a release below everything published) the highest published one;
    None when nothing is published. ``order`` sorts versions and raises ``ValueError`` for one
    that cannot be compared (it is skipped).
    """
    if against is None:
        return latest_before(published, staged, order)
    versions = comparable(published, order)
    if against not in versions:
        shown = ", ".join(sorted(versions, key=versions.__getitem__)[-10:]) or "none"
        raise RegistryError(f"version {against} is not published (latest published: {shown})",
                            code="not_found")
    return against


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the registry at ``base`` (scheme, host and port), so that the
    registry's token may go along."""
    target, registry = httpx2.URL(url), httpx2.URL(base)
    return (target.scheme, target.host, target.port) == (registry.scheme, registry.host,
                                                          registry.port)


class StageClient(ABC):
    """Talks to one registry's staging area on behalf of one user."""

    #: "python" or "npm"
    target: str
    #: the registry's base URL, as shown to the user
    registry: str

    def check_id(self, stage_id: str) -> str:
        """``stage_id`` if it has the form this registry issues, else a RegistryError.

        Checked before any request, so a typo never reaches the registry.
        """
        return stage_id

    def shown_url(self, url: str) -> str:
        """A registry URL as the user can reach it after this command (see pep694)."""
        return url

    @abstractmethod
    def list(self, package: str | None = None) -> list[StagedItem]:
        """Every staged release the user can see, optionally of one package, all pages."""

    @abstractmethod
    def view(self, stage_id: str) -> StagedItem:
        """One staged release."""

    @abstractmethod
    def fetch(self, stage_id: str, directory: Path) -> tuple[StagedItem, builtins.list[Path]]:
        """Write every file of the staged release into ``directory``, hashes verified; the
        release as it was downloaded, and the files written."""

    def download(self, stage_id: str, directory: Path) -> builtins.list[Path]:
        """Write every file of the staged release into ``directory``, hashes verified."""
        return self.fetch(stage_id, directory)[1]

    @abstractmethod
    def approve(
        self, stage_id: str, otp: str | None, digest: str | None = None, *,
        allow_secrets: bool = False,
    ) -> Mapping[str, Any]:
        """Make the staged release live; ``otp`` is the one-time password, when needed.

        :param digest: the :attr:`StagedItem.digest` the approver reviewed: the release goes
            live only if it still has it (else a ``changed_since_review`` error)
        :param allow_secrets: publish despite findings of the registry's scan that block
        """

    def decide_batch(
        self, action: str, stage_ids: builtins.list[str], otp: str | None,
        digests: Mapping[str, str] | None = None, *, allow_secrets: bool = False,
    ) -> builtins.list[dict[str, Any]] | None:
        """Approve or reject several releases in one request under one code, each approval
        bound to its digest in ``digests``.

        None when the registry has no such request (then each id is decided on its own).
        Returns ``[{"stageId", "result"}]``; raises when the batch stopped partway, naming
        the ids already decided.
        """
        return None

    @abstractmethod
    def reject(self, stage_id: str, otp: str | None) -> Mapping[str, Any]:
        """Discard the staged release."""

    def create_group(self, items: builtins.list[StagedItem]) -> StagedGroup | None:
        """Record ``items``, in the order to decide them, as one group on the registry; None
        when the registry keeps no groups (then this machine does: :mod:`.groups`)."""
        return None

    def group(self, group_id: str) -> StagedGroup | None:
        """The group as the registry keeps it; None when it keeps no such group."""
        return None

    def groups(self) -> builtins.list[StagedGroup] | None:
        """The registry's groups with a member awaiting a decision; None when it keeps none."""
        return None

    @abstractmethod
    def published_release(self, name: str, staged_version: str,
                          against: str | None = None) -> PublishedRelease | None:
        """The live release to compare ``staged_version`` with (see :func:`previous_version`);
        None when the package has no published release."""

    @abstractmethod
    def download_published(self, release: PublishedRelease,
                           directory: Path) -> builtins.list[Path]:
        """Write every file of a published release into ``directory``, digests verified."""

    def provenance_object(self, url: str) -> Mapping[str, Any] | None:
        """The PEP 740 provenance object at ``url`` (an index's Integrity API); None when the
        registry has none there. Registries without provenance never call this."""
        return None
