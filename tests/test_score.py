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
    assert "add source and documentation" in checks["project-urls"].reason
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
