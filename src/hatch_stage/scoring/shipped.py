"""What a Python release ships, read once from its artifacts for every quality check.

Scorers judge the files a user will download, not the project directory: a README that
exists on disk but is not in the metadata, or tests that the sdist leaves out, do not count.
Archives are read only through :func:`hatch_stage.archive.iter_members`, so the scanner's
size and safety limits hold here too; member bytes are dropped as soon as they are seen,
except for the one metadata file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.metadata import RawMetadata, parse_email

from ..archive import iter_members
from ..config import ScanLimits
from ..errors import ScoreError
from ..models import Artifact, member_path
from .urls import url_kinds


@dataclass(frozen=True)
class Shipped:
    """The metadata and file lists of one release's artifacts."""

    #: core metadata of the wheel (``METADATA``), else of the sdist (``PKG-INFO``)
    metadata: RawMetadata
    #: where the metadata was read from, e.g. "pkg-1.0-py3-none-any.whl:pkg-1.0.dist-info/METADATA"
    metadata_source: str
    #: member paths of every wheel
    wheel_members: tuple[str, ...]
    #: member paths of the sdist, without the leading ``name-version/`` directory
    sdist_members: tuple[str, ...]
    has_wheel: bool
    has_sdist: bool
    #: members (as listed above) that are links inside their archive -> the member they lead
    #: to, in the same form
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def project_urls(self) -> dict[str, str]:
        """Project URLs by their label as written, with a legacy ``Home-page`` as "Homepage"."""
        urls = dict(self.metadata.get("project_urls", {}))
        if "home_page" in self.metadata:
            urls.setdefault("Homepage", self.metadata["home_page"])
        return urls

    def url_kinds(self) -> dict[str, str]:
        """Well-known URL kind -> the label of the first URL declaring it (:mod:`.urls`)."""
        return url_kinds(self.project_urls)


def _is_wheel_metadata(name: str) -> bool:
    path = member_path(name)
    return len(path.parts) == 2 and path.parts[0].endswith(".dist-info") and path.name == "METADATA"


def _without_root(name: str) -> str | None:
    # an sdist holds everything under one "name-version/" directory
    _root, _, rest = name.partition("/")
    return rest or None


def read_shipped(artifacts: Sequence[Artifact], limits: ScanLimits) -> Shipped:
    """Read metadata and member lists of ``artifacts`` (wheels and sdists; others ignored).

    Raises :class:`ScoreError` when neither a wheel nor an sdist carries core metadata.
    """
    wheel_members: list[str] = []
    sdist_members: list[str] = []
    links: dict[str, str] = {}
    wheel_metadata: tuple[bytes, str] | None = None
    sdist_metadata: tuple[bytes, str] | None = None
    for artifact in artifacts:
        if artifact.kind == "wheel":
            # names and core metadata (text) are all a score needs
            for member in iter_members(artifact, limits, skip_binary=True):
                wheel_members.append(member.name)
                if member.link is not None:
                    links[member.name] = member.link
                if wheel_metadata is None and _is_wheel_metadata(member.name):
                    wheel_metadata = (member.data, f"{artifact.filename}:{member.name}")
        elif artifact.kind == "sdist":
            for member in iter_members(artifact, limits, skip_binary=True):
                relative = _without_root(member.name)
                if relative is None:
                    continue
                sdist_members.append(relative)
                if member.link is not None:
                    links[relative] = _without_root(member.link) or member.link
                if sdist_metadata is None and relative == "PKG-INFO":
                    sdist_metadata = (member.data, f"{artifact.filename}:{member.name}")
    found = wheel_metadata or sdist_metadata
    if found is None:
        names = ", ".join(a.filename for a in artifacts) or "no artifacts"
        raise ScoreError(
            f"cannot score {names}: no wheel METADATA or sdist PKG-INFO found; "
            "stage a wheel or sdist built by a PEP 517 backend"
        )
    data, source = found
    metadata, _unparsed = parse_email(data)
    return Shipped(
        metadata=metadata,
        metadata_source=source,
        wheel_members=tuple(wheel_members),
        sdist_members=tuple(sdist_members),
        has_wheel=any(a.kind == "wheel" for a in artifacts),
        has_sdist=any(a.kind == "sdist" for a in artifacts),
        links=links,
    )
