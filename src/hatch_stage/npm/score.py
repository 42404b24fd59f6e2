"""The quality checks of an npm release, worth 100 points (the ``npm-score`` plugin's).

They judge the tarball that will ship (its own package.json and files), not the project
directory. The points: types 15, exports 15, install-scripts 15, readme 15, license 10,
repository 10, engines 10, test-script 10.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import ScoreError
from ..models import Artifact, Check
from ..scoring.rules import README_MIN_CHARS, count_headings
from .tarball import read_packed

if TYPE_CHECKING:
    from .tarball import Packed

#: the placeholder ``npm init`` writes, which fails every run
NPM_INIT_TEST = 'echo "Error: no test specified" && exit 1'
#: scripts npm runs on the user's machine when the package is installed
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")
LICENSE_STEMS = ("license", "licence", "copying")

#: (share of the points earned, reason)
Verdict = tuple[float, str]


@dataclass(frozen=True)
class Shipped:
    """The packed manifest and the file names under ``package/``."""

    manifest: Mapping[str, Any]
    files: frozenset[str]
    readme: str

    def has(self, path: str) -> bool:
        return str(PurePosixPath(path.removeprefix("./"))) in self.files


def _shipped(packed: Packed) -> Shipped:
    files = frozenset(name.removeprefix("package/") for name in packed.members)
    readmes = sorted(name for name in packed.files if name.lower().startswith("package/readme"))
    readme = packed.files[readmes[0]].decode("utf-8", "replace") if readmes else ""
    return Shipped(packed.manifest, files, readme)


def _text(value: Any, key: str | None = None) -> str:
    """``value``, or ``value[key]`` of a mapping, as stripped text; "" when it is not text."""
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def _conditions(exports: Any, key: str) -> list[str]:
    """Every string target under condition ``key`` anywhere in an ``exports`` map."""
    if not isinstance(exports, Mapping):
        return []
    found = []
    for condition, target in exports.items():
        if condition == key and isinstance(target, str):
            found.append(target)
        found.extend(_conditions(target, key))
    return found


def _targets(exports: Any) -> list[str]:
    if isinstance(exports, str):
        return [exports]
    if isinstance(exports, list):
        return [t for item in exports for t in _targets(item)]
    if isinstance(exports, Mapping):
        return [t for value in exports.values() for t in _targets(value)]
    return []


def types(shipped: Shipped) -> Verdict:
    manifest = shipped.manifest
    declared = manifest.get("types") or manifest.get("typings")
    if isinstance(declared, str):
        if shipped.has(declared):
            return 1.0, f"type declarations ship ({declared})"
        return 0.0, f"package.json names types {declared!r}, but that file is not in the tarball"
    in_exports = _conditions(manifest.get("exports"), "types")
    if in_exports:
        return 1.0, f"exports declares types ({in_exports[0]})"
    main = str(manifest.get("main") or "index.js")
    beside = str(PurePosixPath(main).with_suffix(".d.ts"))
    if shipped.has(beside):
        return 1.0, f"{beside} ships beside the entry point"
    return 0.0, ('no type declarations: TypeScript users get "any"; ship .d.ts files and set '
                 '"types" (or a "types" condition in "exports")')


def exports(shipped: Shipped) -> Verdict:
    value = shipped.manifest.get("exports")
    if value is None:
        return 0.0, ('no "exports": every file is importable and the entry points are guessed; '
                     'declare "exports" to name the public entry points')
    missing = [
        target for target in _targets(value)
        if target.startswith("./") and "*" not in target and not shipped.has(target)
    ]
    if missing:
        return 0.5, f'"exports" points at files the tarball lacks: {", ".join(missing[:5])}'
    return 1.0, '"exports" declares the entry points, and they ship'


def install_scripts(shipped: Shipped) -> Verdict:
    found = [name for name in INSTALL_SCRIPTS if _text(shipped.manifest.get("scripts"), name)]
    if found:
        return 0.0, (f"install-time script(s) {', '.join(found)} run code on every user's machine "
                     "at install (and many installs disable them); build before publishing instead")
    return 1.0, "no preinstall, install or postinstall scripts"


def readme(shipped: Shipped) -> Verdict:
    text = shipped.readme.strip()
    if not text:
        return 0.0, "no README in the tarball: add README.md (npm always packs it)"
    if len(text) < README_MIN_CHARS or count_headings(text) < 2:
        return 0.5, (f"README is thin ({len(text)} characters, {count_headings(text)} headings): "
                     "say what it does, how to install it, and show an example")
    return 1.0, f"README ships ({len(text)} characters)"


def license_(shipped: Shipped) -> Verdict:
    declared = _text(shipped.manifest.get("license"))
    text = [name for name in shipped.files
            if "/" not in name and name.lower().startswith(LICENSE_STEMS)]
    if declared and text:
        return 1.0, f"license {declared} with {sorted(text)[0]}"
    if declared:
        return 0.5, f"license {declared} is declared, but no LICENSE file ships: add one"
    return 0.0, 'no "license" in package.json: set an SPDX id such as "MIT" and ship a LICENSE file'


def repository(shipped: Shipped) -> Verdict:
    value = shipped.manifest.get("repository")
    url = _text(value, "url") if isinstance(value, Mapping) else _text(value)
    if url:
        return 1.0, f"repository: {url}"
    return 0.0, 'no "repository": users and provenance cannot link the package to its source'


def engines(shipped: Shipped) -> Verdict:
    node = _text(shipped.manifest.get("engines"), "node")
    if node:
        return 1.0, f"engines.node: {node}"
    return 0.0, 'no "engines": {"node": ...}: say which Node versions it supports'


def test_script(shipped: Shipped) -> Verdict:
    test = _text(shipped.manifest.get("scripts"), "test")
    if not test:
        return 0.0, 'no "test" script: add the command that runs the tests'
    if test == NPM_INIT_TEST:
        return 0.0, "the test script is npm init's placeholder, which always fails"
    return 1.0, f"test script: {test}"


RULES: tuple[tuple[str, int, Callable[[Shipped], Verdict]], ...] = (
    ("types", 15, types),
    ("exports", 15, exports),
    ("install-scripts", 15, install_scripts),
    ("readme", 15, readme),
    ("license", 10, license_),
    ("repository", 10, repository),
    ("engines", 10, engines),
    ("test-script", 10, test_script),
)


def score_npm(artifacts: Sequence[Artifact], config: Config) -> list[Check]:
    """The checks of the release's tarball."""
    tarballs = [artifact for artifact in artifacts if artifact.kind == "npm-tarball"]
    if not tarballs:
        raise ScoreError("no npm tarball to score")
    shipped = _shipped(read_packed(tarballs[0], config.limits, ScoreError, keep=("readme",)))
    checks = []
    for name, points, judge in RULES:
        share, reason = judge(shipped)
        checks.append(Check(name, math.floor(points * share + 0.5), points, reason))
    return checks
