"""Whether a file name is the one spelling of a wheel or an sdist of a release.

An index serves files by name, and installers choose among them by name, so a name must say
exactly one thing:

- an sdist is ``{name}-{version}.tar.gz`` (PEP 625): the project name normalized (runs of
  ``-``, ``_`` and ``.`` become one ``_``, lower case) and the version in its normalized
  PEP 440 form; ``.zip``, another case or ``v1.0`` are other names for the same release, so a
  release would carry several sdists;
- a wheel is ``{name}-{version}[-{build}]-{python}-{abi}-{platform}.whl`` (PEP 427, the binary
  distribution format): the name of letters, digits, ``_`` and ``.``, the version normalized,
  a build tag starting with a digit, and each tag a ``.``-separated set of lower-case letters,
  digits and ``_``;
- the name is the release's (compared normalized) and the version is the release's, written
  normalized, so a release has one spelling of each file.

Nothing else reaches a name: no NUL, ``/``, whitespace, quotes or URL delimiters.
"""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

#: the longest file name accepted (what file systems and the registry's database hold)
MAX_LENGTH = 255
#: characters a normalized name, a normalized version and tags are made of
_CHARACTERS = re.compile(r"[A-Za-z0-9._+!-]+")
_WHEEL = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9_.]*)-(?P<version>[^-]+)(?:-(?P<build>[0-9][A-Za-z0-9_]*))?"
    r"-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl")
_TAG = re.compile(r"[a-z][a-z0-9_]*")


def sdist_name(name: str, version: str) -> str:
    """The sdist file name of a release (PEP 625)."""
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{Version(version)}.tar.gz"


def filename_problems(filename: str, name: str, version: str) -> list[str]:
    """Why ``filename`` is not a wheel or sdist name of ``name`` ``version``; empty when it is
    one. ``version`` is the release's (any spelling of it)."""
    try:
        release = Version(version)
    except InvalidVersion:
        return [f"{version!r} is not a valid version"]
    if len(filename) > MAX_LENGTH:
        return [f"the file name is longer than {MAX_LENGTH} characters"]
    if not _CHARACTERS.fullmatch(filename):
        return [f"{filename!r} has characters a distribution's file name cannot have (only "
                "letters, digits and . _ - + ! are used)"]
    if filename.endswith(".whl"):
        return _wheel_problems(filename, canonicalize_name(name), release)
    expected = sdist_name(name, version)
    if filename == expected:
        return []
    if filename.lower().endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")):
        return [f"{filename!r} is not this release's sdist name: an sdist of {name} {release} "
                f"is named {expected!r} (PEP 625), one per release"]
    return [f"{filename!r} is neither a wheel (.whl) nor an sdist (.tar.gz)"]


def _wheel_problems(filename: str, name: str, release: Version) -> list[str]:
    parts = _WHEEL.fullmatch(filename)
    if parts is None:
        return [f"{filename!r} is not a wheel name: {{name}}-{{version}}[-{{build}}]-{{python}}"
                "-{abi}-{platform}.whl (PEP 427)"]
    problems = []
    if canonicalize_name(parts["name"]) != name:
        problems.append(f"{filename!r} belongs to project {parts['name']!r}, not {name!r}")
    version = parts["version"]
    try:
        parsed = Version(version)
    except InvalidVersion:
        problems.append(f"{filename!r} has an invalid version {version!r}")
    else:
        if parsed != release:
            problems.append(f"{filename!r} is version {version}, but the release is {release}")
        elif version != str(release):
            problems.append(f"{filename!r} writes the version {version!r}; a wheel of this "
                            f"release names it {str(release)!r} (normalized, PEP 440)")
    for kind in ("python", "abi", "platform"):
        if not all(_TAG.fullmatch(tag) for tag in parts[kind].split(".")):
            problems.append(f"{filename!r} has an invalid {kind} tag {parts[kind]!r} (lower-case "
                            "letters, digits and _, several joined by .)")
    return problems
