"""Packing with the project's own PEP 517 backend, through the real command line.

The offline tests use ``intree``, a fixture with its own in-tree backend and no build
requirements, and the setuptools of the test environment (``--no-isolation``). The tests of
real backends (hatchling with hatch-vcs and hatch-fancy-pypi-readme, setuptools with
setuptools-scm, flit, poetry-core) install them from the package index into build
environments, once per test session, from a fresh virtual environment holding only
hatch-stage (installed from this working tree with its dependencies, nothing else).

Versions that live in git are computed as on a maintainer's release checkout: the fixture is
copied, ``git init``-ed, committed and tagged (no SETUPTOOLS_SCM_PRETEND_VERSION).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from clitools import PROJECTS, Run, environment, run_cli
from test_archive import make_tar, make_zip, regular

from hatch_stage.commands.verify import verify_files
from hatch_stage.config import Config
from hatch_stage.errors import PackError
from hatch_stage.pep517 import read_build_system, rebuild_wheel
from hatch_stage.pep517.hooks import HookError, run_backend
from hatch_stage.project import read_manifest

ROOT = Path(__file__).resolve().parents[1]


def release_checkout(name: str, where: Path, tag: str | None = None) -> Path:
    """A copy of fixture project ``name`` as a git repository, tagged ``tag`` if given."""
    project = where / name
    shutil.copytree(PROJECTS / name, project)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost",
           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], cwd=project, check=True)
    if tag:
        subprocess.run([*git, "tag", tag], cwd=project, check=True)
    return project


@pytest.fixture
def cache(tmp_path: Path) -> dict[str, str]:
    """A private, empty build-environment cache."""
    return {"HATCH_STAGE_CACHE_DIR": str(tmp_path / "cache")}


def envs_in(cache: dict[str, str]) -> list[Path]:
    root = Path(cache["HATCH_STAGE_CACHE_DIR"]) / "build-envs"
    return sorted(path for path in root.iterdir() if path.is_dir()) if root.exists() else []


# --- offline: an in-tree backend ------------------------------------------------------------


def test_a_backend_of_its_own_builds_in_a_cached_environment(
    tmp_path: Path, cache: dict[str, str]
) -> None:
    project = release_checkout("intree", tmp_path)
    first = run_cli(["check", "--json"], cwd=project, env=cache)
    assert first.returncode == 0, first.stdout + first.stderr
    report = first.json()  # the backend printed to its stdout; ours holds only the document
    assert (report["name"], report["version"]) == ("intree-pkg", "0.9.0")
    assert [f["filename"] for f in report["files"]] == [
        "intree_pkg-0.9.0.tar.gz", "intree_pkg-0.9.0-py3-none-any.whl"]
    assert "making a build environment for intree" in first.stderr
    assert "tiny_backend: building" not in first.stdout + first.stderr, "the log is kept quiet"
    (env,) = envs_in(cache)
    ready = (env / "hatch-stage-env.json").stat().st_mtime_ns

    second = run_cli(["check", "--json"], cwd=project, env=cache)
    assert second.returncode == 0
    assert [f["filename"] for f in second.json()["files"]] == [
        f["filename"] for f in report["files"]]
    assert "making a build environment" not in second.stderr
    assert envs_in(cache) == [env] and (env / "hatch-stage-env.json").stat().st_mtime_ns == ready


def test_a_backend_reading_its_stdin_reads_nothing_and_cannot_disturb_the_build(
    tmp_path: Path, cache: dict[str, str]
) -> None:
    project = release_checkout("intree", tmp_path)
    run = run_cli(["check", "--json"], cwd=project, env={**cache, "TINY_BACKEND_READS": "1"},
                  timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(run.json()["files"]) == 2


def test_concurrent_first_runs_make_one_environment_and_a_half_made_one_is_redone(
    tmp_path: Path, cache: dict[str, str]
) -> None:
    projects = [release_checkout("intree", tmp_path / str(n)) for n in range(3)]
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda p: run_cli(["check", "--json"], cwd=p, env=cache), projects))
    assert [run.returncode for run in runs] == [0, 0, 0], [r.stderr for r in runs]
    assert sum("making a build environment" in run.stderr for run in runs) == 1
    (env,) = envs_in(cache)
    # a run that died while making it (no ready marker) leaves a half-made one: it is redone
    (env / "hatch-stage-env.json").unlink()
    (env / "junk-from-a-crash").write_text("")
    again = run_cli(["check", "--json"], cwd=projects[0], env=cache)
    assert again.returncode == 0 and "making a build environment" in again.stderr
    assert not (env / "junk-from-a-crash").exists() and (env / "hatch-stage-env.json").is_file()


@pytest.mark.parametrize("command", [["check"], ["publish", "--dry-run"]])
def test_a_failing_backend_is_named_with_its_output_and_advice_for_the_command(
    tmp_path: Path, cache: dict[str, str], command: list[str]
) -> None:
    project = release_checkout("intree", tmp_path)
    run = run_cli([*command, "--json"], cwd=project, env={**cache, "TINY_BACKEND_FAIL": "wheel"})
    assert run.returncode == 1
    error = run.json()
    assert error["error_code"] == "pack_failed"
    message = error["error"]
    assert message.startswith(f"tiny-backend (build backend tiny_backend) could not build the "
                              f"wheel of {project}: RuntimeError: cannot build the wheel today")
    assert "tiny_backend: the compiler said no" in message, "the tail of the backend's output"
    assert message.endswith(f"name them: hatch-stage {command[0]} dist/*")


def test_a_backend_that_cannot_be_imported_says_what_to_declare(
    tmp_path: Path, cache: dict[str, str]
) -> None:
    project = release_checkout("intree", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'build-backend = "tiny_backend"\nbackend-path = ["_backend"]',
        'build-backend = "nonexistent_backend.api"'))
    run = run_cli(["check"], cwd=project, env=cache)
    assert run.returncode == 1
    assert (f"error: the build backend 'nonexistent_backend.api' of {project} cannot be imported "
            "in its build environment") in run.stderr
    assert "[build-system] requires must list the package that provides it" in run.stderr


def test_a_prebuilt_release_names_its_version_when_only_the_build_knows_it(
    tmp_path: Path,
) -> None:
    """A setuptools project with a dynamic version: the files named say which release it is."""
    project = release_checkout("scm-setuptools", tmp_path)
    dist = tmp_path / "dist"
    dist.mkdir()
    metadata = b"Metadata-Version: 2.1\nName: scm-setuptools\nVersion: 2.0.1\n"
    sdist = make_tar(dist / "scm_setuptools-2.0.1.tar.gz",
                     [regular("scm_setuptools-2.0.1/PKG-INFO", metadata)]).path
    run = run_cli(["check", "--json", str(sdist)], cwd=project)
    assert run.returncode == 0, run.stderr
    assert (run.json()["name"], run.json()["version"]) == ("scm-setuptools", "2.0.1")
    other = run_cli(["check", "--json", str(sdist).replace("scm_setuptools", "other")], cwd=project)
    assert other.returncode == 1


# --- verify's rebuild: the same hooks, in a fresh environment ----------------------------------


def test_verify_rebuilds_in_a_fresh_environment_that_no_build_can_leave_anything_in(
    tmp_path: Path, cache: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sdist under review runs its build code: whatever it leaves in its environment must
    not reach a later build, and the build-environment cache is never touched."""
    project = release_checkout("intree", tmp_path)
    monkeypatch.setenv("HATCH_STAGE_CACHE_DIR", cache["HATCH_STAGE_CACHE_DIR"])
    monkeypatch.setenv("TINY_BACKEND_PLANTS", "1")
    manifest = read_manifest(project, "python")
    first = rebuild_wheel(project, manifest, tmp_path / "first")
    second = rebuild_wheel(project, manifest, tmp_path / "second")
    assert first.name == second.name == "intree_pkg-0.9.0-py3-none-any.whl"
    assert zipfile.ZipFile(second).read("intree_pkg/__init__.py") == (
        project / "intree_pkg" / "__init__.py").read_bytes()
    assert envs_in(cache) == []

    # what a cached environment would have done: the second build finds the first one's file
    planted = {**cache, "TINY_BACKEND_PLANTS": "1"}
    assert run_cli(["check", "--json"], cwd=project, env=planted).returncode == 0
    again = run_cli(["check", "--json"], cwd=project, env=planted)
    assert again.returncode == 1 and "an earlier build left" in again.json()["error"]


def test_a_staged_sdist_that_does_not_build_is_named_with_its_output_for_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = release_checkout("intree", tmp_path)
    monkeypatch.setenv("TINY_BACKEND_FAIL", "wheel")
    with pytest.raises(PackError) as failed:
        rebuild_wheel(project, read_manifest(project, "python"), tmp_path / "out")
    message = str(failed.value)
    assert message.startswith(f"tiny-backend (build backend tiny_backend) could not build the "
                              f"wheel of {project}: RuntimeError: cannot build the wheel today")
    assert "tiny_backend: the compiler said no" in message, "the tail of the backend's output"
    assert message.endswith("cannot be checked against an sdist that does not build here; ask "
                            "the maintainer how the wheel was built")


def test_a_staged_sdist_with_a_broken_pyproject_is_a_pack_error_naming_the_file(
    tmp_path: Path,
) -> None:
    """The staged release's configuration is broken, not the reviewer's: exit 1, not 2."""
    sdist = make_tar(tmp_path / "broken-1.0.tar.gz",
                     [regular("broken-1.0/pyproject.toml", b"[build-system\n")])
    wheel = make_zip(tmp_path / "broken-1.0-py3-none-any.whl", [("broken/__init__.py", b"")])
    with pytest.raises(PackError, match=r"the staged sdist cannot be built: .*broken-1.0/"
                                        r"pyproject.toml is not valid TOML") as failed:
        verify_files([sdist, wheel], Config(), tmp_path / "work")
    assert failed.value.code == "pack_failed" and failed.value.exit_code == 1


def test_a_build_that_runs_past_its_time_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = release_checkout("intree", tmp_path)
    monkeypatch.setenv("TINY_BACKEND_SLEEPS", "60")
    system = read_build_system(project, read_manifest(project, "python"))
    with pytest.raises(HookError, match="the build ran longer than 1 s and was stopped"):
        run_backend(sys.executable, project, system, ["wheel"], tmp_path / "out",
                    dict(os.environ), lambda requirements: [], timeout=1)


# --- --no-isolation, and a project that needs a compiler -------------------------------------


def test_no_isolation_builds_here_and_names_what_is_missing(tmp_path: Path) -> None:
    """The in-tree backend needs nothing; hatch-vcs and its friends are not installed here."""
    intree = release_checkout("intree", tmp_path)
    unused = tmp_path / "unused-cache"
    built = run_cli(["check", "--json", "--no-isolation"], cwd=intree,
                    env={"HATCH_STAGE_CACHE_DIR": str(unused)})
    assert built.returncode == 0, built.stderr
    assert [f["kind"] for f in built.json()["files"]] == ["sdist", "wheel"]
    # (the directory may hold the scan cache; no build environment is made in it)
    assert not (unused / "build-envs").exists(), "no build environment without isolation"

    project = release_checkout("vcs-readme", tmp_path, tag="v1.3.0")
    for command in (["check"], ["publish", "--dry-run"]):
        run = run_cli([*command, "--json", "--no-isolation"], cwd=project)
        assert run.returncode == 1
        message = run.json()["error"]
        assert message.startswith(f"{project} builds with hatchling (build backend "
                                  "hatchling.build); with --no-isolation its build requirements "
                                  "must be installed next to hatch-stage "
                                  f"({Path(sys.executable).parent}/python")
        assert "hatch-vcs (not installed)" in message
        assert "hatch-fancy-pypi-readme>=23.2.0 (not installed)" in message
        assert "python -m pip install 'hatch-fancy-pypi-readme>=23.2.0' 'hatch-vcs'" in message
        assert message.endswith(f"or run hatch-stage {command[0]} without --no-isolation")


SETUP_PY_EXTENSION = """\
from setuptools import Extension, setup

setup(ext_modules=[Extension("native_pkg._speedups", ["native_pkg/_speedups.c"])])
"""
SPEEDUPS_C = """\
#include <Python.h>
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, NULL};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
"""


@pytest.mark.slow
def test_a_project_needing_a_compiler_is_checked_on_its_sdist_unless_asked(
    tmp_path: Path, cache: dict[str, str]
) -> None:
    project = tmp_path / "native"
    (project / "native_pkg").mkdir(parents=True)
    (project / "native_pkg" / "__init__.py").write_text("")
    (project / "native_pkg" / "_speedups.c").write_text(SPEEDUPS_C)
    (project / "setup.py").write_text(SETUP_PY_EXTENSION)
    (project / "MANIFEST.in").write_text("include native_pkg/*.c\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '\n[project]\nname = "native-pkg"\nversion = "1.0"\n'
    )
    sdist_only = run_cli(["check", "--json"], cwd=project, env=cache)
    assert sdist_only.returncode == 0, sdist_only.stdout + sdist_only.stderr
    report = sdist_only.json()
    assert [f["kind"] for f in report["files"]] == ["sdist"]
    (note,) = (n["message"] for n in report["notes"])
    assert note.startswith("checked the sdist only: the wheel needs a compiler (setup.py "
                           "declares extension modules (ext_modules))")
    assert "pass --wheel to build it too" in note and "hatch-stage check dist/*" in note

    both = run_cli(["check", "--json", "--wheel"], cwd=project, env=cache)
    assert both.returncode == 0, both.stdout + both.stderr
    wheel = next(f["filename"] for f in both.json()["files"] if f["kind"] == "wheel")
    assert wheel.startswith("native_pkg-1.0-cp") and "none-any" not in wheel
    assert both.json()["notes"] == []


# --- real backends from a fresh virtual environment holding only hatch-stage ----------------


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m venv`` plus hatch-stage installed (not editable) from this working tree."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    # uv resolves and installs the same set as pip, several times faster; pip stays inside
    command = ([uv, "pip", "install", "--python", str(python), str(ROOT)] if uv else
               [str(python), "-m", "pip", "install", "--quiet", str(ROOT)])
    installed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


def fresh_run(venv: Path, args: list[str], cwd: Path, env: dict[str, str]) -> Run:
    completed = subprocess.run([str(venv / "bin" / "hatch-stage"), *args], cwd=cwd,
                               env=environment(env), capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=900)
    return Run(completed.returncode, completed.stdout, completed.stderr)


#: fixture project -> (release tag, the version that must ship)
BACKENDS = {
    "vcs-readme": ("v1.3.0", "1.3.0"),
    "scm-setuptools": ("v2.0.1", "2.0.1"),
    "flit-pkg": (None, "0.4.1"),
    "poetry-pkg": (None, "3.1.4"),
}


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One build-environment cache for the session, as a user has one."""
    return {"HATCH_STAGE_CACHE_DIR": str(tmp_path_factory.mktemp("build-envs-cache"))}


@pytest.mark.slow
@pytest.mark.xdist_group("fresh-venv")
@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_backend_passes_check_and_publish_dry_run_from_a_fresh_venv(
    name: str, fresh_venv: Path, shared_cache: dict[str, str], tmp_path: Path
) -> None:
    missing = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c",
         "import hatch_vcs, hatch_fancy_pypi_readme, setuptools_scm, flit_core, poetry.core"],
        capture_output=True)
    assert missing.returncode != 0, "the fresh venv must not hold any build plugin"
    tag, version = BACKENDS[name]
    project = release_checkout(name, tmp_path, tag)
    out = tmp_path / "out"
    check = fresh_run(fresh_venv, ["check", "--json", "--out", str(out)], project, shared_cache)
    assert check.returncode == 0, check.stdout + check.stderr
    report = check.json()
    wheel_name = name.replace("-", "_")
    assert (report["name"], report["version"]) == (name, version)
    assert [f["filename"] for f in report["files"]] == [
        f"{wheel_name}-{version}.tar.gz", f"{wheel_name}-{version}-py3-none-any.whl"]
    assert report["findings"] == [] and report["quality"]["score"] >= 90, report["quality"]
    with zipfile.ZipFile(out / f"{wheel_name}-{version}-py3-none-any.whl") as wheel:
        metadata = wheel.read(f"{wheel_name}-{version}.dist-info/METADATA").decode()
    assert f"Version: {version}" in metadata and "Usage" in metadata
    if name == "vcs-readme":
        assert "## Release notes" in metadata, "the fancy-pypi-readme fragment is in the README"

    dry_run = fresh_run(fresh_venv, ["publish", "--dry-run", "--json"], project, shared_cache)
    assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
    names = [f["filename"] for f in report["files"]]
    assert [f["filename"] for f in json.loads(dry_run.stdout)["files"]] == names
    assert "making a build environment" not in dry_run.stderr, "the second run reuses it"
