"""The built-in ``python-score`` checks, on real hatchling builds of fixture projects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clitools import PROJECTS

from hatch_stage.config import Config
from hatch_stage.models import Artifact, Check, Project
from hatch_stage.pipeline import Pipeline, StageReport
from hatch_stage.plugins import plugin_manager
from hatch_stage.plugins.python_pack import build
from hatch_stage.plugins.python_score import hatch_stage_score
from hatch_stage.project import load_project

BUILD_SYSTEM = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

"""

BARE = {
    "pyproject.toml": BUILD_SYSTEM + """\
[project]
name = "bare-pkg"
version = "0.1"

[tool.hatch.build.targets.wheel]
packages = ["bare_pkg"]
""",
    "bare_pkg/__init__.py": "VALUE = 1\n",
}

MANY_DEPENDENCIES = ", ".join(f'"dep{n}"' for n in range(25))
#: partly kept: short README, one URL, no Python classifier, many dependencies, a local
#: version, a merge leftover and a top-level tests package in the wheel
UNTIDY = {
    "pyproject.toml": BUILD_SYSTEM + f"""\
[project]
name = "untidy-pkg"
version = "2.0+local"
description = "untidy-pkg"
readme = "README.md"
classifiers = ["Development Status :: 3 - Alpha"]
dependencies = [{MANY_DEPENDENCIES}]

[project.urls]
Homepage = "https://example.invalid/untidy"

[tool.hatch.build.targets.wheel]
packages = ["untidy_pkg", "tests"]
""",
    "README.md": "untidy\n",
    "untidy_pkg/__init__.py": "",
    "untidy_pkg/__init__.py.orig": "",
    "tests/__init__.py": "",
    "tests/test_it.py": "def test_it():\n    pass\n",
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def prepare(root: Path, config: Config | None = None) -> StageReport:
    """The dry run's prepare half with only the built-in packer and scorer loaded."""
    config = config or Config()
    project = load_project(root, config)
    pipeline = Pipeline(project, config, plugin_manager(only=["python-pack", "python-score"]))
    return pipeline.prepare([], root.parent / f"{root.name}-work")


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> StageReport:
    root = tmp_path_factory.mktemp("kept") / "sample"
    shutil.copytree(PROJECTS / "sample", root)
    return prepare(root)


@pytest.fixture(scope="module")
def bare_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("bare") / "bare", BARE)


@pytest.fixture(scope="module")
def bare(bare_root: Path) -> StageReport:
    return prepare(bare_root)


@pytest.fixture(scope="module")
def untidy(tmp_path_factory: pytest.TempPathFactory) -> StageReport:
    return prepare(write_project(tmp_path_factory.mktemp("untidy") / "untidy", UNTIDY))


def by_name(report: StageReport) -> dict[str, Check]:
    return {check.name: check for check in report.checks}


def test_well_kept_release_earns_every_point(kept: StageReport) -> None:
    checks = by_name(kept)
    assert kept.score == 100
    assert sum(check.max_points for check in kept.checks) == 100
    assert all(check.passed and check.plugin == "python-score" for check in kept.checks)
    assert set(checks) == {
        "readme", "changelog", "license", "summary", "keywords", "project-urls", "classifiers",
        "requires-python", "version", "typed", "tests", "stray-files", "dependencies",
    }
    assert "text/markdown" in checks["readme"].reason
    assert checks["changelog"].reason == "CHANGELOG.md ships in the sdist"
    assert checks["license"].reason.startswith("License-Expression: MIT")
    assert checks["typed"].reason == "sample_pkg/py.typed ships in the wheel"
    assert "tests/test_greet.py" in checks["tests"].reason
    assert checks["version"].reason == "1.2.0 is a valid PEP 440 version"
    assert kept.blockers == []


def test_bare_release_scores_low_and_says_what_to_do(bare: StageReport) -> None:
    checks = by_name(bare)
    assert bare.score <= 20
    failed = {name for name, check in checks.items() if check.points == 0}
    assert failed == {
        "readme", "changelog", "license", "summary", "keywords", "project-urls", "classifiers",
        "requires-python", "typed", "tests",
    }
    assert 'readme = "README.md"' in checks["readme"].reason
    assert "CHANGELOG" in checks["changelog"].reason
    assert "[project.urls]" in checks["changelog"].reason
    assert checks["license"].reason.startswith("no license declared")
    assert "py.typed" in checks["typed"].reason and "PEP 561" in checks["typed"].reason
    assert checks["tests"].reason.startswith("no tests in the sdist")
    assert "requires-python" in checks["requires-python"].reason
    assert checks["dependencies"].passed and checks["dependencies"].reason.startswith("0 required")


def test_untidy_release_gets_partial_points_with_reasons(untidy: StageReport) -> None:
    checks = by_name(untidy)
    readme = checks["readme"]
    assert (readme.points, readme.passed) == (5, False)
    assert "characters" in readme.reason and "section heading" in readme.reason
    assert checks["project-urls"].points == 5
    assert "none for the source code" in checks["project-urls"].reason
    assert checks["classifiers"].points == 3, "half of 5 rounds up"
    assert "Programming Language :: Python :: 3" in checks["classifiers"].reason
    assert checks["dependencies"].points == 3
    assert checks["dependencies"].reason.startswith("25 required dependencies")
    assert checks["version"].points == 0 and "+local" in checks["version"].reason
    assert checks["summary"].points == 0 and "repeats the name" in checks["summary"].reason
    stray = checks["stray-files"]
    assert stray.points == 0
    assert stray.reason.startswith("4 stray file(s)")
    for member in ("wheel: untidy_pkg/__init__.py.orig", "wheel: tests/test_it.py",
                   "sdist: untidy_pkg/__init__.py.orig"):
        assert member in stray.reason
    assert "sdist: tests/" not in stray.reason, "tests belong in the sdist"


def test_min_score_gates_the_release(bare_root: Path, bare: StageReport) -> None:
    gated = prepare(bare_root, Config(min_score=bare.score + 1))
    assert gated.blockers == [f"quality score {bare.score} is below the minimum {bare.score + 1}"]
    document = gated.as_json()
    assert document["success"] is False and document["error_code"] == "score_below_minimum"
    assert document["quality"]["min_score"] == bare.score + 1
    assert len(document["quality"]["checks"]) == 13

    assert prepare(bare_root, Config(min_score=bare.score)).blockers == []


def test_changelog_url_counts_and_a_wheel_alone_has_no_tests(tmp_path: Path) -> None:
    notes_url = 'urls = { "Release Notes" = "https://example.invalid/notes" }\n'
    files = {**BARE, "pyproject.toml": BARE["pyproject.toml"].replace(
        'version = "0.1"\n', 'version = "0.1"\n' + notes_url
    )}
    root = write_project(tmp_path / "notes", files)
    wheels = [a for a in build(root, tmp_path / "dist") if a.kind == "wheel"]
    project = Project(root=root, target="python", name="bare-pkg", version="0.1")
    checks = {c.name: c for c in hatch_stage_score(wheels, project, Config())}
    assert checks["changelog"].passed
    assert checks["changelog"].reason == "a 'Release Notes' project URL points to the changes"
    assert checks["tests"].reason.startswith("no sdist is staged")


def test_other_targets_are_not_scored(tmp_path: Path) -> None:
    project = Project(root=tmp_path, target="npm", name="pkg", version="1.0.0")
    tarball = Artifact(tmp_path / "pkg-1.0.0.tgz", "npm-tarball")
    assert hatch_stage_score([tarball], project, Config()) == []


# --- calibration (README "Quality score"): each changed check, on real builds --------------

def score_of(tmp_path: Path, name: str, project_table: str,
             files: dict[str, str] | None = None) -> dict[str, Check]:
    """The checks of a hatchling build of BARE with ``project_table`` lines added to it."""
    pyproject = BARE["pyproject.toml"].replace('version = "0.1"\n',
                                               'version = "0.1"\n' + project_table)
    root = write_project(tmp_path / name, {**BARE, **(files or {}), "pyproject.toml": pyproject})
    artifacts = build(root, tmp_path / f"{name}-dist")
    project = Project(root=root, target="python", name="bare-pkg", version="0.1")
    return {c.name: c for c in hatch_stage_score(artifacts, project, Config())}


def test_points_add_up_to_100_with_the_calibrated_weights() -> None:
    from hatch_stage.scoring import RULES

    points = {rule.name: rule.points for rule in RULES}
    assert sum(points.values()) == 100
    # keywords: 29 of 40 popular packages have none; requires-python: the flaw that breaks
    # installs; tests in the sdist serve distributors more than users
    assert (points["keywords"], points["requires-python"], points["tests"]) == (2, 10, 8)


AIOHTTP_URLS = """[project.urls]
"Chat: Matrix" = "https://matrix.to/#/#aio-libs:matrix.org"
"CI: GitHub Actions" = "https://github.com/aio-libs/aiohttp/actions?query=workflow%3ACI"
"Docs: Changelog" = "https://docs.aiohttp.org/en/stable/changes.html"
"Docs: RTD" = "https://docs.aiohttp.org"
"GitHub: issues" = "https://github.com/aio-libs/aiohttp/issues"
"GitHub: repo" = "https://github.com/aio-libs/aiohttp"
"""


def test_compound_project_url_labels_are_recognised(tmp_path: Path) -> None:
    """aiohttp's labels: no changelog file ships, the "Docs: Changelog" URL counts."""
    checks = score_of(tmp_path, "aiohttp-like", AIOHTTP_URLS)
    assert checks["changelog"].passed
    assert checks["changelog"].reason == "a 'Docs: Changelog' project URL points to the changes"
    urls = checks["project-urls"]
    assert urls.passed
    for shown in ("changelog ('Docs: Changelog')", "documentation ('Docs: RTD')",
                  "issues ('GitHub: issues')", "source ('GitHub: repo')"):
        assert shown in urls.reason


def test_a_repository_url_is_the_source_whatever_its_label(tmp_path: Path) -> None:
    checks = score_of(tmp_path, "home-only", 'urls = { Homepage = "https://github.com/o/pkg" }\n')
    assert checks["project-urls"].passed
    assert "source ('Homepage')" in checks["project-urls"].reason
    # a page about a repository is not the repository, and a non-forge homepage is no source
    half = score_of(tmp_path, "ci-only",
                    'urls = { CI = "https://github.com/o/pkg/actions", '
                    'Homepage = "https://example.invalid" }\n')["project-urls"]
    assert (half.points, half.max_points) == (5, 10)
    assert "none for the source code" in half.reason


@pytest.mark.parametrize(("label", "kind"), [
    ("Homepage", "homepage"), ("Home page", "homepage"), ("Change_Log", "changelog"),
    ("What's New?", "changelog"), ("Release Notes", "changelog"), ("Source Code", "source"),
    ("Code", "source"), ("GitHub: repo", "source"), ("Repository", "source"),
    ("Docs: Changelog", "changelog"), ("Docs: RTD", "documentation"),
    ("DOCUMENTATION", "documentation"),
    ("GitHub: issues", "issues"), ("Issue tracker", "issues"), ("Bug Tracker", "issues"),
    ("Security policy", "security"), ("Tidelift", "funding"), ("CI: GitHub Actions", None),
    ("Chat: Matrix", None), ("Coverage: codecov", None), ("Mailing lists", None),
])
def test_labels_are_normalized_as_pep_753_says(label: str, kind: str | None) -> None:
    from hatch_stage.scoring import label_kind

    assert label_kind(label) == kind


def test_topic_classifiers_stand_in_for_keywords(tmp_path: Path) -> None:
    topic = 'classifiers = ["Topic :: Internet :: WWW/HTTP"]\n'
    checks = score_of(tmp_path, "topics", topic)
    assert checks["keywords"].passed and "1 Topic classifier(s)" in checks["keywords"].reason
    bare = score_of(tmp_path, "nothing", "")["keywords"]
    assert (bare.points, bare.max_points) == (0, 2)
    assert "Topic" in bare.reason and "keywords = [...]" in bare.reason


def test_a_long_readme_with_only_a_title_is_not_a_stub(tmp_path: Path) -> None:
    body = "This library does one thing well. " * 40  # about 1,400 characters
    long_one = score_of(tmp_path, "long", 'readme = "README.md"\n',
                        {"README.md": f"# bare-pkg\n\n{body}\n"})["readme"]
    assert long_one.passed, long_one.reason
    short = score_of(tmp_path, "short", 'readme = "README.md"\n',
                     {"README.md": f"# bare-pkg\n\n{body[:400]}\n"})["readme"]
    assert not short.passed and "1 section heading(s)" in short.reason


def test_editor_leftovers_in_test_fixtures_are_not_stray(tmp_path: Path) -> None:
    files = {"tests/fixtures/backup~": "kept on purpose: the code under test ignores it\n",
             "tests/test_it.py": "def test_it():\n    pass\n",
             "bare_pkg/module.py~": "an editor's backup\n"}
    stray = score_of(tmp_path, "fixtures", "", files)["stray-files"]
    assert stray.reason.startswith(
        "2 stray file(s): wheel: bare_pkg/module.py~, sdist: bare_pkg/module.py~;"
    ), stray.reason
