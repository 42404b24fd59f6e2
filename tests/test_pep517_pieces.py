"""The pieces of building with a project's own backend, one at a time, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from hatch_stage.config import Config
from hatch_stage.errors import ConfigError, PackError
from hatch_stage.models import Artifact, Project
from hatch_stage.pep517.buildsystem import LEGACY_BACKEND, read_build_system
from hatch_stage.pep517.envs import env_key
from hatch_stage.pep517.native import compiler_reason
from hatch_stage.pep517.requirements import unmet_requirements
from hatch_stage.pipeline import released_project
from hatch_stage.project import load_project


def test_no_build_system_means_setuptools_legacy_as_pip_builds_it(tmp_path: Path) -> None:
    system = read_build_system(tmp_path, {})
    assert (system.backend, system.requires) == (LEGACY_BACKEND, ("setuptools>=40.8.0",))
    assert not system.in_process_capable
    kept = read_build_system(tmp_path, {"build-system": {"requires": ["setuptools", "wheel"]}})
    assert (kept.backend, kept.requires) == (LEGACY_BACKEND, ("setuptools", "wheel"))
    hatchling = read_build_system(tmp_path, {"build-system": {
        "requires": ["hatchling"], "build-backend": "hatchling.build"}})
    assert hatchling.in_process_capable and hatchling.label == "hatchling"


@pytest.mark.parametrize(("table", "message"), [
    ({"build-backend": "x"}, r"has no requires \(PEP 518\)"),
    ({"requires": "hatchling"}, "requires in .* must be a list of strings"),
    ({"requires": ["hatch ling"]}, "'hatch ling' is not a valid requirement"),
    ({"requires": [], "build-backend": ""}, "build-backend in .* must be a non-empty string"),
    ({"requires": [], "build-backend": "b", "backend-path": ["../outside"]},
     "'../outside' must be a directory inside the project"),
])
def test_a_malformed_build_system_is_an_error_naming_the_key(
    tmp_path: Path, table: dict[str, object], message: str
) -> None:
    (tmp_path.parent / "outside").mkdir(exist_ok=True)
    with pytest.raises(ConfigError, match=message):
        read_build_system(tmp_path, {"build-system": table})


def test_unmet_requirements_say_what_is_missing_and_why() -> None:
    assert unmet_requirements(["packaging>=20", "pluggy"]) == []
    assert unmet_requirements(['not-installed-anywhere; python_version < "3"']) == []
    too_old, missing = unmet_requirements(["packaging<1", "hatch-vcs>=0.3"])
    assert too_old.describe().startswith("packaging<1 (") and too_old.found is not None
    assert missing.describe() == "hatch-vcs>=0.3 (not installed)"
    assert missing.requirement == "hatch-vcs>=0.3"


def test_environments_are_keyed_by_the_requirements_however_written() -> None:
    assert env_key(["Hatch_VCS >= 0.3", "hatchling"]) == env_key(["hatchling", "hatch-vcs>=0.3"])
    assert env_key(["hatchling"]) != env_key(["hatchling>=1.27"])


@pytest.mark.parametrize(("build_system", "files", "reason"), [
    ({"requires": ["maturin>=1"], "build-backend": "maturin"}, {},
     "its build backend maturin compiles extensions"),
    ({"requires": ["setuptools", "Cython>=3"], "build-backend": "setuptools.build_meta"}, {},
     "its build requirements include cython"),
    ({"requires": ["setuptools"], "build-backend": "setuptools.build_meta"},
     {"setup.py": "from setuptools import setup\nsetup(cffi_modules=['build.py:ffi'])\n"},
     "setup.py declares extension modules (cffi_modules)"),
    ({"requires": ["setuptools"], "build-backend": "setuptools.build_meta"},
     {"setup.py": "from setuptools import setup\nsetup()\n"}, None),
    ({"requires": ["hatchling", "hatch-vcs"], "build-backend": "hatchling.build"}, {}, None),
])
def test_projects_that_need_a_compiler_are_recognised(
    tmp_path: Path, build_system: dict[str, object], files: dict[str, str], reason: str | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    manifest = {"build-system": build_system}
    assert compiler_reason(tmp_path, read_build_system(tmp_path, manifest), manifest) == reason


@pytest.mark.parametrize(("files", "expected"), [
    ({"pyproject.toml": '[tool.poetry]\nname = "poems"\nversion = "3.1.4"\n'}, ("poems", "3.1.4")),
    ({"pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n\n[project]\n'
                        'name = "scm"\ndynamic = ["version"]\n'}, ("scm", "")),
    ({"setup.cfg": "[metadata]\nname = legacy\nversion = attr: legacy.__version__\n",
      "setup.py": "from setuptools import setup\nsetup()\n"}, ("legacy", "")),
    ({"setup.py": "from setuptools import setup\nsetup(name='bare')\n"}, ("", "")),
])
def test_what_is_known_before_the_build(
    tmp_path: Path, files: dict[str, str], expected: tuple[str, str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    project = load_project(tmp_path, Config())
    assert (project.name, project.version) == expected


def test_the_build_tells_the_version_and_may_not_contradict_the_project(tmp_path: Path) -> None:
    unknown = Project(root=tmp_path, target="python", name="scm", version="")
    files = [Artifact(tmp_path / "scm-2.0.1.tar.gz", "sdist"),
             Artifact(tmp_path / "scm-2.0.1-py3-none-any.whl", "wheel")]
    assert released_project(unknown, files).version == "2.0.1"
    nameless = Project(root=tmp_path, target="python", name="", version="")
    assert (released_project(nameless, files).name, released_project(nameless, files).version) \
        == ("scm", "2.0.1")
    stated = Project(root=tmp_path, target="python", name="scm", version="2.0.0")
    with pytest.raises(PackError, match=r"scm-2\.0\.1\.tar\.gz is scm 2\.0\.1, but the project"):
        released_project(stated, files)
    mixed = [files[0], Artifact(tmp_path / "scm-2.0.2-py3-none-any.whl", "wheel")]
    with pytest.raises(PackError, match="the packed files are not one release"):
        released_project(unknown, mixed)
