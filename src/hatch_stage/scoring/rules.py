"""The built-in quality checks for Python releases: one small judge per check, one table.

Each judge looks at what ships (:class:`Shipped`) and returns the share of its points earned
(1.0, a part, or 0.0) and a reason that says why and, when points are missing, what to do.
The points in :data:`RULES` add up to 100, so on its own the built-in set reads as a score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import trove_classifiers
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..models import Check, member_path
from .shipped import Shipped

#: (share of the points earned, reason)
Verdict = tuple[float, str]

README_MIN_CHARS = 200
README_MIN_HEADINGS = 2
#: a README this long with a title and no further headings is a short document, not a stub
README_ONE_SECTION_CHARS = 1000
SUMMARY_MAX_CHARS = 512  # what PyPI accepts
DEPENDENCIES_FULL = 20
DEPENDENCIES_HALF = 40
#: file-name stems that are a changelog, wherever the extension
CHANGELOG_STEMS = frozenset(
    {"changelog", "changes", "history", "news", "release-notes", "releases"}
)
#: path parts that never belong in a release
STRAY_PARTS = frozenset({
    "__pycache__", ".git", ".hg", ".svn", ".DS_Store", "Thumbs.db", ".pytest_cache",
    ".mypy_cache", ".ruff_cache", ".tox", ".nox", ".ipynb_checkpoints", ".idea", ".vscode",
    ".coverage",
})
STRAY_SUFFIXES = (".pyc", ".pyo", ".swp", "~", ".orig", ".rej")
#: leftovers of editors and merges, which a test may ship on purpose as a fixture
EDITOR_SUFFIXES = (".swp", "~", ".orig", ".rej")
#: directories of an sdist that hold tests and their fixtures
TEST_DIRS = frozenset({"tests", "test", "testing"})
#: a top-level test package in a wheel installs as site-packages/tests and clashes
WHEEL_TEST_DIRS = frozenset({"tests", "test"})

_ATX_HEADING = re.compile(r"#{1,6}\s+\S")
_UNDERLINE = re.compile(r"""([=\-~^"'*+#`:.])\1{2,}\s*""")


def _listing(items: Iterable[str], most: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def count_headings(text: str) -> int:
    """Section headings in Markdown (``#`` or underlined) or reStructuredText, not in code."""
    headings = 0
    in_fence = False
    previous = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and (
            _ATX_HEADING.match(stripped) or (previous and _UNDERLINE.fullmatch(stripped))
        ):
            headings += 1
        previous = stripped if not in_fence else ""
    return headings


def readme(shipped: Shipped) -> Verdict:
    text = shipped.metadata.get("description", "").strip()
    if not text:
        return 0.0, 'no README in the metadata: set readme = "README.md" in [project]'
    content_type = shipped.metadata.get("description_content_type")
    headings = count_headings(text)
    missing = []
    if not content_type:
        missing.append("no Description-Content-Type, so PyPI guesses the markup (declare readme "
                       "as a file with a .md or .rst suffix)")
    if len(text) < README_MIN_CHARS:
        missing.append(f"only {len(text)} characters (aim for {README_MIN_CHARS}+: what it does, "
                       "how to install, an example)")
    if headings < README_MIN_HEADINGS and not (headings and len(text) >= README_ONE_SECTION_CHARS):
        missing.append(f"{headings} section heading(s) (add sections such as Installation, Usage)")
    share = (3 - len(missing)) / 3
    if not missing:
        return share, f"README ships ({content_type}, {len(text)} characters, {headings} sections)"
    return share, "README ships but has " + "; ".join(missing)


def changelog(shipped: Shipped) -> Verdict:
    for member in shipped.sdist_members:
        path = member_path(member)
        in_docs = len(path.parts) == 2 and path.parts[0] in ("docs", "doc")
        near_top = len(path.parts) == 1 or in_docs
        if near_top and path.name.split(".")[0].lower() in CHANGELOG_STEMS:
            return 1.0, f"{member} ships in the sdist"
    label = shipped.url_kinds().get("changelog")
    if label:
        return 1.0, f"a {label!r} project URL points to the changes"
    return 0.0, ("no CHANGELOG/CHANGES/HISTORY/NEWS file in the sdist and no Changelog project "
                 'URL: keep a CHANGELOG.md, or add Changelog = "..." under [project.urls]')


def license_(shipped: Shipped) -> Verdict:
    metadata = shipped.metadata
    files = metadata.get("license_files", [])
    shipped_files = f" with {_listing(files)}" if files else ""
    if "license_expression" in metadata:
        return 1.0, f"License-Expression: {metadata['license_expression']}{shipped_files}"
    if files:
        return 1.0, f"the license text ships ({_listing(files)})"
    classifiers = [c for c in metadata.get("classifiers", []) if c.startswith("License ::")]
    if classifiers:
        return 1.0, f"license classifier {classifiers[0]!r} (an SPDX license = \"...\" is clearer)"
    if metadata.get("license", "").strip():
        return 0.5, ('only a free-text License field: declare an SPDX expression, e.g. '
                     'license = "MIT", and ship the text with license-files')
    return 0.0, 'no license declared: users cannot tell if they may use it; set license = "MIT" ' \
                "(or your license's SPDX id) in [project] and keep a LICENSE file"


def summary(shipped: Shipped) -> Verdict:
    text = shipped.metadata.get("summary", "").strip()
    name = shipped.metadata.get("name", "")
    if not text:
        return 0.0, 'no summary: set description = "one line saying what it does" in [project]'
    if "\n" in text or len(text) > SUMMARY_MAX_CHARS:
        return 0.0, f"the summary must be one line of at most {SUMMARY_MAX_CHARS} characters"
    if text.lower() == name.lower():
        return 0.0, "the summary only repeats the name: say what the package does"
    return 1.0, f"summary: {text!r}"


def keywords(shipped: Shipped) -> Verdict:
    words = [word for word in shipped.metadata.get("keywords", []) if word.strip()]
    if words:
        return 1.0, f"{len(words)} keyword(s): {_listing(words)}"
    # the index's search and browse use Topic classifiers as much as keywords
    topics = [c for c in shipped.metadata.get("classifiers", []) if c.startswith("Topic ::")]
    if topics:
        return 1.0, f"no keywords, but {len(topics)} Topic classifier(s): {_listing(topics, 2)}"
    return 0.0, ("no keywords or Topic classifiers: add keywords = [...] to [project], or a "
                 '"Topic :: ..." classifier, so searches find the package')


def project_urls(shipped: Shipped) -> Verdict:
    kinds = shipped.url_kinds()
    found = ", ".join(f"{kind} ({label!r})" for kind, label in kinds.items())
    others = [kind for kind in kinds if kind != "source"]
    if "source" in kinds and (others or len(shipped.project_urls) > 1):
        return 1.0, f"project URLs for {found}"
    if "source" in kinds:
        return 0.5, (f"only a source URL ({found}): add Documentation (or Homepage) and "
                     'Changelog under [project.urls], e.g. Documentation = "https://..."')
    advice = ('add the repository under [project.urls] (Source = "https://..."); a '
              "github.com/owner/repo URL counts whatever its label")
    if shipped.project_urls:
        listed = found or _listing(shipped.project_urls)
        return 0.5, f"project URLs for {listed}, but none for the source code: {advice}"
    return 0.0, f"no project URLs, so the index links nowhere: {advice}"


def classifiers(shipped: Shipped) -> Verdict:
    declared = shipped.metadata.get("classifiers", [])
    if not declared:
        return 0.0, ('no classifiers: add classifiers = [...] to [project], at least '
                     '"Programming Language :: Python :: 3"')
    unknown = [c for c in declared if c not in trove_classifiers.classifiers
               and not c.startswith("Private ::")]
    if unknown:
        return 0.0, f"unknown classifier(s) that an index refuses: {_listing(unknown)}"
    if not any(c.startswith("Programming Language :: Python") for c in declared):
        return 0.5, (f"{len(declared)} classifier(s), none naming Python versions: add "
                     '"Programming Language :: Python :: 3" and the versions you test')
    return 1.0, f"{len(declared)} valid classifier(s)"


def requires_python(shipped: Shipped) -> Verdict:
    spec = shipped.metadata.get("requires_python", "").strip()
    if not spec:
        return 0.0, ('no Requires-Python: pip will install it on Pythons it does not support; '
                     'set requires-python = ">=3.X" in [project]')
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return 0.0, f"Requires-Python {spec!r} is not a valid version specifier"
    return 1.0, f"Requires-Python: {spec}"


def version(shipped: Shipped) -> Verdict:
    text = shipped.metadata.get("version", "")
    try:
        parsed = Version(text)
    except InvalidVersion:
        return 0.0, f"version {text!r} is not a valid PEP 440 version (e.g. 1.2.0, 1.2.0rc1)"
    if parsed.local is not None:
        return 0.0, f"version {text} has a local label (+{parsed.local}), which indexes refuse"
    if parsed.is_prerelease:
        return 1.0, f"{text} is a valid PEP 440 pre-release (pip installs it only with --pre)"
    return 1.0, f"{text} is a valid PEP 440 version"


def typed(shipped: Shipped) -> Verdict:
    members = shipped.wheel_members if shipped.has_wheel else shipped.sdist_members
    where = "wheel" if shipped.has_wheel else "sdist"
    markers = [m for m in members if member_path(m).name == "py.typed"]
    if markers:
        return 1.0, f"{_listing(markers)} ships in the {where}"
    if any(member_path(m).parts[0].endswith("-stubs") for m in members):
        return 1.0, f"the {where} is a stub-only package"
    return 0.0, (f"no py.typed in the {where}: add an empty py.typed file next to the package's "
                 "__init__.py so type checkers use its annotations (PEP 561)")


def tests(shipped: Shipped) -> Verdict:
    if not shipped.has_sdist:
        return 0.0, "no sdist is staged, and tests ship only in an sdist: stage an sdist too"
    for member in shipped.sdist_members:
        path = member_path(member)
        if path.parts[0] in ("tests", "test") or path.name == "conftest.py" or (
            path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))
        ):
            return 1.0, f"tests ship in the sdist ({member})"
    return 0.0, ("no tests in the sdist: distributors (Debian, conda-forge) run them from it; keep "
                 "them in tests/ and do not exclude it from [tool.hatch.build.targets.sdist]")


def stray_members(shipped: Shipped) -> list[str]:
    """Members that should not ship: caches, bytecode, editor and VCS files, top-level tests."""
    found = []
    for kind, members in (("wheel", shipped.wheel_members), ("sdist", shipped.sdist_members)):
        for member in members:
            path = member_path(member)
            fixture = kind == "sdist" and bool(TEST_DIRS.intersection(path.parts[:-1]))
            suffixes = tuple(s for s in STRAY_SUFFIXES if not (fixture and s in EDITOR_SUFFIXES))
            if STRAY_PARTS.intersection(path.parts) or path.name.endswith(suffixes) or (
                kind == "wheel" and len(path.parts) > 1 and path.parts[0] in WHEEL_TEST_DIRS
            ):
                found.append(f"{kind}: {member}")
    return found


def stray_files(shipped: Shipped) -> Verdict:
    found = stray_members(shipped)
    if not found:
        return 1.0, "no bytecode, caches, editor or VCS files, and no top-level tests package"
    return 0.0, (f"{len(found)} stray file(s): {_listing(found)}; exclude them with "
                 "[tool.hatch.build] exclude (a top-level tests/ in a wheel installs as a "
                 "'tests' package)")


def dependencies(shipped: Shipped) -> Verdict:
    required = []
    for line in shipped.metadata.get("requires_dist", []):
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return 0.0, f"Requires-Dist {line!r} is not a valid requirement"
        # extras are opt-in, so only what every install pulls counts
        if requirement.marker is None or "extra" not in str(requirement.marker):
            required.append(requirement.name)
    count = len(required)
    if count <= DEPENDENCIES_FULL:
        return 1.0, f"{count} required dependenc{'y' if count == 1 else 'ies'} (extras not counted)"
    advice = "each one is more to install, audit and keep compatible; move optional ones to extras"
    share = 0.5 if count <= DEPENDENCIES_HALF else 0.0
    return share, f"{count} required dependencies (over {DEPENDENCIES_FULL}): {advice}"


@dataclass(frozen=True)
class Rule:
    """One named check: its points and the judge that decides how many are earned."""

    name: str
    points: int
    judge: Callable[[Shipped], Verdict]

    def check(self, shipped: Shipped) -> Check:
        share, reason = self.judge(shipped)
        # half up, so half of 5 points is 3 rather than banker's 2
        points = math.floor(self.points * share + 0.5)
        return Check(name=self.name, points=points, max_points=self.points, reason=reason)


#: the points are calibrated on 40 popular, well-kept packages (benchmarks/score_survey.py;
#: the reasoning is in the README's "Quality score" section)
RULES: tuple[Rule, ...] = (
    Rule("readme", 15, readme),
    Rule("changelog", 10, changelog),
    Rule("license", 10, license_),
    Rule("summary", 5, summary),
    Rule("keywords", 2, keywords),
    Rule("project-urls", 10, project_urls),
    Rule("classifiers", 5, classifiers),
    Rule("requires-python", 10, requires_python),
    Rule("version", 5, version),
    Rule("typed", 10, typed),
    Rule("tests", 8, tests),
    Rule("stray-files", 5, stray_files),
    Rule("dependencies", 5, dependencies),
)
