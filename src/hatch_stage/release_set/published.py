"""What the registry has published, as a workspace release needs to know it before anything
is sent: which member versions are live already (those members are left out), which
versions a requirement on a member can be met with, and the version rules each release
must pass (the same rules ``publish`` checks for one release).

Reading needs no credentials on hatch-stage's registry (its live index is public) nor on
npm registries for public packages; an npm token found the usual way is sent when there is
one. ``--offline`` reads nothing: every chosen member is then part of the release.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ..config import Config
from ..errors import AuthError, HatchStageError
from ..models import Artifact, Credentials


class PublishedVersions(ABC):
    """One registry's published versions, each package read once."""

    #: where they were read, for messages (None: nothing was read)
    registry: str | None = None

    @abstractmethod
    def versions(self, name: str) -> list[str]:
        """The versions of ``name`` that are live; [] for a package the registry lacks."""

    def is_published(self, name: str, version: str) -> bool:
        return version in self.versions(name)

    @abstractmethod
    def check_release(self, name: str, version: str, config: Config,
                      artifacts: Sequence[Artifact] = ()) -> None:
        """Raise an ``UploadError`` when ``version`` (packed as ``artifacts``) may not be
        staged (the version rules)."""


class Offline(PublishedVersions):
    """Nothing is known to be published, and no rule is checked (``--offline``)."""

    def versions(self, name: str) -> list[str]:
        return []

    def check_release(self, name: str, version: str, config: Config,
                      artifacts: Sequence[Artifact] = ()) -> None:
        return None


class PythonIndex(PublishedVersions):
    """A Python stage registry's live index (PEP 691)."""

    def __init__(self, url: str, credentials: Credentials | None, label: str) -> None:
        from ..targets.pep694 import Pep694Client

        self.registry = label
        self._client = Pep694Client(url, credentials, label)
        self._read: dict[str, list[str]] = {}

    def versions(self, name: str) -> list[str]:
        if name not in self._read:
            self._read[name] = self._client.published_versions(name)
        return self._read[name]

    def is_published(self, name: str, version: str) -> bool:
        try:  # PEP 440: 1.0 and 1.0.0 are one version
            wanted = Version(version)
        except InvalidVersion:
            return version in self.versions(name)
        return any(_same(found, wanted) for found in self.versions(name))

    def check_release(self, name: str, version: str, config: Config,
                      artifacts: Sequence[Artifact] = ()) -> None:
        # an open session of this version is taken up (its files replaced), as publish does
        from ..versions import check_release

        check_release(name, version, self.versions(name), config)


def _same(found: str, wanted: Version) -> bool:
    try:
        return Version(found) == wanted
    except InvalidVersion:
        return False


class NpmRegistry(PublishedVersions):
    """An npm registry's packuments."""

    def __init__(self, url: str, root: Path) -> None:
        from ..npm.auth import find_credentials
        from ..targets.npm import NpmStageClient

        try:
            credentials: Credentials | None = find_credentials(
                url, purpose="manage", package=None, project_root=root)
        except AuthError:
            credentials = None  # public packages read without a token
        self.registry = url
        self._client = NpmStageClient(url, credentials)
        self._can_list = credentials is not None
        self._packuments: dict[str, Mapping[str, Any] | None] = {}

    def packument(self, name: str) -> Mapping[str, Any] | None:
        if name not in self._packuments:
            self._packuments[name] = self._client.packument(name)
        return self._packuments[name]

    def versions(self, name: str) -> list[str]:
        packument = self.packument(name)
        found = packument.get("versions") if packument else None
        return list(found) if isinstance(found, Mapping) else []

    def check_release(self, name: str, version: str, config: Config,
                      artifacts: Sequence[Artifact] = ()) -> None:
        """The version rules; a version staged already counts only when it is staged with
        other contents (the same tarball is taken up when staging)."""
        from ..npm.tarball import identifiers
        from ..npm.versions import check_release

        staged = self._staged(name)
        if version in staged and any(artifact.kind == "npm-tarball" and self._client.view(
                staged[version]).digest in identifiers(artifact.path) for artifact in artifacts):
            del staged[version]
        check_release(name, version, config.tag, self.packument(name), staged,
                      allow_lower=config.allow_lower)

    def _staged(self, name: str) -> dict[str, str]:
        """Staged version -> stage id; {} where listing needs a token there is none of."""
        if not self._can_list:
            return {}
        try:
            return self._client.staged_versions(name)
        except HatchStageError as error:
            if error.code in ("auth_failed", "forbidden"):
                return {}
            raise
