"""The version and dist-tag rules a release must pass before it is staged (semver).

Checked against the registry's packument and its staged versions, before any upload:

- the package must already exist (npm's staged publishing cannot create a package; like
  lpm, hatch-stage refuses rather than guess at a placeholder version);
- the version must be valid semver and neither published nor staged;
- a pre-release needs an explicit tag, so it never becomes ``latest`` by accident;
- an implicit ``latest`` below the highest published stable version is refused (pass a tag,
  or acknowledge it with ``allow-lower``);
- a tag must not look like a version or range (npm refuses those too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import semver

from ..errors import UploadError

#: made only of what versions and ranges are made of ("v2", "1.x", "^1.2", ">=1 <2")
_RANGE_LIKE = re.compile(r"[\dvxX*.^~<>=|\s-]*\d[\dvxX*.^~<>=|\s-]*")


def parse(version: str) -> semver.Version | None:
    """``version`` as semver (a leading ``v`` or ``=`` allowed, as npm cleans it), or None."""
    try:
        return semver.Version.parse(version.strip().lstrip("=v"))
    except (ValueError, TypeError):
        return None


def highest_stable(versions: Mapping[str, Any]) -> semver.Version | None:
    """The highest published version without a pre-release part."""
    parsed = [parse(v) for v in versions]
    stable = [v for v in parsed if v is not None and not v.prerelease]
    return max(stable) if stable else None


def check_release(name: str, version: str, tag: str | None, packument: Mapping[str, Any] | None,
                  staged: Mapping[str, str], *, allow_lower: bool = False) -> str:
    """The dist-tag to stage ``name@version`` under, or an :class:`UploadError` saying what to do.

    :param tag: the tag the user asked for; None means the implicit ``latest``
    :param packument: the registry's document for ``name``; None when the package is unknown
    :param staged: staged version -> stage id, for this package
    """
    parsed = parse(version)
    if parsed is None:
        raise UploadError(f"{name} version {version!r} is not semver (e.g. 1.2.3 or 2.0.0-rc.1)")
    if tag is not None and (not tag.strip() or _RANGE_LIKE.fullmatch(tag) or tag != tag.strip()):
        raise UploadError(f"tag {tag!r} looks like a version or range; npm tags are names such "
                          "as next or beta")
    if packument is None:
        raise UploadError(
            f"{name} does not exist on the registry yet, and staged publishing cannot create a "
            f"package: publish its first version with `npm publish`, then stage later versions",
            code="package_not_found",
        )
    published = packument.get("versions", {})
    if not isinstance(published, Mapping):
        published = {}
    if version in published:
        raise UploadError(f"{name}@{version} is already published: bump the version",
                          code="conflict")
    if version in staged:
        raise UploadError(
            f"{name}@{version} is already staged (stage id {staged[version]}): approve or reject "
            "that one, or bump the version", code="conflict",
        )
    if tag is None and parsed.prerelease:
        raise UploadError(
            f"{name}@{version} is a pre-release: pass an explicit tag (--tag next) so it does not "
            "become latest", code="tag_required",
        )
    top = highest_stable(published)
    if tag is None and top is not None and parsed < top and not allow_lower:
        raise UploadError(
            f"{name}@{version} is below the highest published version {top}, and would move the "
            "latest tag back: pass an explicit tag (--tag v1-maintenance), or set allow-lower",
            code="tag_required",
        )
    return tag or "latest"
