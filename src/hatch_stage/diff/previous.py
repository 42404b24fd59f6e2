"""Which published release a staged one is compared with (the command line and the registry's
review page choose alike)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def comparable(published: Iterable[str], order: Callable[[str], Any]) -> dict[str, Any]:
    """The published versions ``order`` can sort, with their keys (``order`` raises
    ``ValueError`` for one it cannot compare: it is left out)."""
    versions = {}
    for version in published:
        try:
            versions[version] = order(version)
        except ValueError:
            continue
    return versions


def latest_before(published: Iterable[str], staged: str,
                  order: Callable[[str], Any]) -> str | None:
    """The highest published version below ``staged`` (a 1.2.9 maintenance release follows
    1.2.8, not 2.0); else (a release below everything published) the highest published one;
    None when nothing is published."""
    versions = comparable(published, order)
    if not versions:
        return None
    staged_key = order(staged)
    below = [version for version, key in versions.items() if key < staged_key]
    return max(below or versions, key=versions.__getitem__)
