"""Version rules checked against the registry before a Python release is staged (PEP 440).

- the version must not be published already (staged-and-complete is caught by the session);
- a pre-release needs an explicit ``--tag`` (so a pre-release is never staged by accident);
- a version below the highest published stable one needs ``--tag`` or ``--allow-lower``.
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

from .config import Config
from .errors import UploadError


def _versions(values: Iterable[str]) -> list[Version]:
    parsed = []
    for value in values:
        try:
            parsed.append(Version(value))
        except InvalidVersion:
            continue  # a legacy version on the index cannot collide with a valid one
    return parsed


def check_release(name: str, version: str, published: Iterable[str], config: Config) -> None:
    """Raise :class:`UploadError` naming the rule when ``version`` may not be staged."""
    try:
        candidate = Version(version)
    except InvalidVersion:
        raise UploadError(
            f"{name} {version}: not a valid PEP 440 version", code="invalid_version"
        ) from None
    live = _versions(published)
    if candidate in live:
        raise UploadError(
            f"{name} {version} is already published; bump the version", code="already_published"
        )
    if candidate.is_prerelease and not config.tag:
        raise UploadError(
            f"{name} {version} is a pre-release: pass an explicit --tag (e.g. --tag next) to "
            "stage it",
            code="prerelease_needs_tag",
        )
    stable = [v for v in live if not v.is_prerelease]
    if stable and candidate < max(stable) and not (config.tag or config.allow_lower):
        raise UploadError(
            f"{name} {version} is below the highest published version {max(stable)}: pass "
            "--allow-lower (or an explicit --tag) if that is intended",
            code="version_below_latest",
        )
