"""What each packed member requires of the other members, and whether that can be met.

Read from the files that would be staged (after the workspace rewrite): a wheel's (else an
sdist's) ``Requires-Dist``, an npm tarball's ``dependencies``, ``optionalDependencies`` and
``peerDependencies`` (``devDependencies`` are never installed by users). A requirement on
another member must be met by a version that is either published on the registry or in this
release; otherwise a user installing the release would get a broken install, and the whole
release is refused before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..config import ScanLimits
from ..errors import PackError
from ..models import Artifact
from ..npm.ranges import InvalidRange, satisfies
from ..npm.tarball import read_packed
from ..scoring.shipped import read_shipped

#: the package.json fields whose packages a user's install fetches
NPM_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")


@dataclass(frozen=True)
class MemberRequirement:
    """One requirement of a packed member on another member."""

    #: the key of the member required
    member: str
    #: the requirement as published: ``core==1.1.0`` (Python), ``^1.1.0`` (npm)
    spec: str
    #: where it is declared, e.g. ``Requires-Dist`` or ``dependencies``
    field: str

    @property
    def text(self) -> str:
        """As a person reads it: ``core==1.1.0``, ``core@^1.1.0``."""
        return self.spec if self.field == "Requires-Dist" else f"{self.member}@{self.spec}"


def allowed(requirement: MemberRequirement, target: str, versions: Iterable[str]) -> list[str]:
    """The ``versions`` an installer could pick for ``requirement`` (pre-releases only where
    pip or npm would take them)."""
    versions = list(versions)
    if target == "python":
        specifier = Requirement(requirement.spec).specifier
        return [str(version) for version in specifier.filter(versions)]
    found = []
    for version in versions:
        try:
            if satisfies(version, requirement.spec):
                found.append(version)
        except ValueError:  # a published version that is not semver cannot be picked
            continue
    return found


def _python(artifacts: Sequence[Artifact], limits: ScanLimits,
            members: set[str]) -> list[MemberRequirement]:
    metadata = read_shipped(artifacts, limits).metadata
    found = []
    for text in metadata.get("requires_dist", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise PackError(f"Requires-Dist {text!r} is not a valid requirement: {error}") from None
        key = canonicalize_name(requirement.name)
        if key in members and not requirement.url:
            found.append(MemberRequirement(key, text, "Requires-Dist"))
    return found


def _npm(artifacts: Sequence[Artifact], limits: ScanLimits,
         members: set[str]) -> list[MemberRequirement]:
    tarballs = [artifact for artifact in artifacts if artifact.kind == "npm-tarball"]
    found = []
    for tarball in tarballs:
        manifest = json.loads(read_packed(tarball, limits, PackError).raw)
        for field in NPM_FIELDS:
            entries = manifest.get(field)
            for name, spec in (entries.items() if isinstance(entries, Mapping) else ()):
                if not isinstance(spec, str):
                    continue
                if spec.startswith("npm:"):  # an alias: "npm:<package>@<range>"
                    name, _, spec = spec[len("npm:"):].rpartition("@")
                if name not in members:
                    continue
                try:
                    satisfies("0.0.0", spec)
                except InvalidRange:
                    continue  # a tag, a URL, a path: not a registry range to check
                found.append(MemberRequirement(name, spec, field))
    return found


def requirements(target: str, artifacts: Sequence[Artifact], limits: ScanLimits,
                 members: set[str], own: str) -> list[MemberRequirement]:
    """What the packed ``artifacts`` of member ``own`` require of the other ``members``."""
    reader = _npm if target == "npm" else _python
    return [found for found in reader(artifacts, limits, members) if found.member != own]
