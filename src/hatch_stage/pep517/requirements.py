"""Whether an environment satisfies a set of requirements, and what exactly is missing.

The check pip and build make before a build without isolation: each requirement must be
installed in a version its specifier allows, and so must everything it requires in turn
(with the extras asked for); markers are evaluated for this interpreter, which is also the
build environments' interpreter. Environments are read through their installed metadata,
with no subprocess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


@dataclass(frozen=True)
class Unmet:
    """One requirement the environment does not satisfy, and the chain that asked for it."""

    #: the requirements from the one asked for down to the unsatisfied one
    chain: tuple[str, ...]
    #: the version installed, or None when it is not installed at all
    found: str | None

    @property
    def requirement(self) -> str:
        """The requirement as asked for (the start of the chain): what to install."""
        return self.chain[0]

    def describe(self) -> str:
        """``hatch-vcs>=0.3 (not installed)`` or ``a -> b>=2 (1.0 installed)``."""
        found = "not installed" if self.found is None else f"{self.found} installed"
        return f"{' -> '.join(self.chain)} ({found})"


def _distribution(name: str, path: Sequence[str] | None) -> metadata.Distribution | None:
    found = metadata.distributions(name=name, path=list(path)) if path is not None else None
    if found is None:
        try:
            return metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None
    return next(iter(found), None)


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in {"", *extras})


def _walk(
    text: str,
    chain: tuple[str, ...],
    extras: frozenset[str],
    path: Sequence[str] | None,
    satisfied: set[str],
) -> Iterable[Unmet]:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        # a broken Requires-Dist of an installed package is not ours to judge
        return
    key = str(requirement)
    if key in satisfied or key in chain or not _applies(requirement, extras):
        return
    chain = (*chain, key)
    distribution = _distribution(canonicalize_name(requirement.name), path)
    if distribution is None:
        yield Unmet(chain, None)
        return
    version = distribution.version
    if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
        yield Unmet(chain, version)
        return
    complete = True
    for dependency in distribution.requires or ():
        for unmet in _walk(dependency, chain, frozenset(requirement.extras), path, satisfied):
            complete = False
            yield unmet
    if complete:
        satisfied.add(key)


def unmet_requirements(
    requirements: Iterable[str], path: Sequence[str] | None = None
) -> list[Unmet]:
    """Every requirement (or dependency of one) not satisfied.

    :param path: the site-packages directories of the environment to check; None checks the
        running interpreter's own environment
    """
    satisfied: set[str] = set()
    found: list[Unmet] = []
    for text in requirements:
        found.extend(_walk(text, (), frozenset(), path, satisfied))
    return found
