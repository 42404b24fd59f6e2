"""Whether a version specifier was loosened or tightened.

Two specifier sets are compared on probe versions: every version either one names, and the
versions just around each (the next and previous release at every position, a pre-release
and a post-release), plus a very old and a very new one. When every probe the old set allows
is allowed by the new one (and some more), the requirement was loosened; the other way round,
tightened. This is exact for the operators in practice (``>=``, ``<``, ``~=``, ``==``, ``!=``,
wildcards) since allowed sets only change at the named versions.
"""

from __future__ import annotations

from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

Verdict = Literal["same", "loosened", "tightened", "changed"]


def _around(text: str) -> set[Version]:
    text = text.rstrip(".*").rstrip(".")
    try:
        version = Version(text)
    except InvalidVersion:
        return set()
    release = list(version.release) + [0] * (3 - len(version.release))
    probes = {version, Version(f"{text}.post1") if not version.is_postrelease else version}
    probes.add(Version(".".join(map(str, release)) + "a1"))
    for position in range(len(release)):
        up = [*release[:position], release[position] + 1] + [0] * (len(release) - position - 1)
        probes.add(Version(".".join(map(str, up))))
        probes.add(Version(".".join(map(str, [*release[:position], release[position], 5]))))
        if release[position] > 0:
            down = [*release[:position], release[position] - 1, 99]
            probes.add(Version(".".join(map(str, down))))
    return probes


def compare(old: str, new: str) -> Verdict:
    """How the specifier ``new`` relates to ``old`` (both as written, e.g. ``">=2,<3"``)."""
    try:
        before, after = SpecifierSet(old), SpecifierSet(new)
    except InvalidSpecifier:
        return "same" if old == new else "changed"
    if before == after:
        return "same"
    probes = {Version("0.0.1"), Version("99999")}
    for specifier in (*before, *after):
        probes |= _around(specifier.version)
    allowed_before = {v for v in probes if before.contains(v, prereleases=True)}
    allowed_after = {v for v in probes if after.contains(v, prereleases=True)}
    if allowed_before == allowed_after:
        return "same"
    if allowed_before < allowed_after:
        return "loosened"
    if allowed_after < allowed_before:
        return "tightened"
    return "changed"
