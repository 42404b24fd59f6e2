"""The real pre-commit hook, installed by ``pre-commit try-repo`` from a snapshot of this repo.

The hook's environment is built by pre-commit itself (a venv with hatch-stage installed from
the snapshot, dependencies from PyPI), once per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clitools import PROJECTS
from secretkinds import TOKENS, private_key_block

REPO = Path(__file__).resolve().parents[1]
PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))
pytestmark = pytest.mark.slow


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This working tree (tracked and new files) as a one-commit repository."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git("ls-files", "-co", "--exclude-standard", cwd=REPO).stdout.splitlines()
    for name in listed:
        source = REPO / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git("init", "-q", "-b", "main", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    assert git("commit", "-qm", "snapshot", cwd=snapshot).returncode == 0
    return snapshot


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path: Path, hook_repo: Path, pre_commit_home: Path) -> Iterator[Path]:
    """A user's project under git whose pre-commit hook runs hatch-stage-check via try-repo."""
    project = tmp_path / "user"
    shutil.copytree(PROJECTS / "sample", project)
    git("init", "-q", "-b", "main", cwd=project)
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(
        f"#!/bin/sh\nexec '{PRE_COMMIT}' try-repo '{hook_repo}' hatch-stage-check --ref HEAD\n"
    )
    hook.chmod(0o755)
    yield project


def commit(project: Path, pre_commit_home: Path, message: str) -> subprocess.CompletedProcess[str]:
    git("add", "-A", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-m", message],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def test_clean_commit_passes_and_planted_token_is_refused(
    user_repo: Path, pre_commit_home: Path
) -> None:
    """A clean project whose shipped .pre-commit-config.yaml pins ``rev:`` to a commit SHA
    (``pre-commit autoupdate --freeze``) and whose tests carry a fixture key passes its hook;
    a planted token fails it."""
    (user_repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n"
        "    rev: cef0300fd0fc4d2a87a85fa2093c6b283ea36f4b  # frozen: v5.0.0\n"
        "    hooks:\n      - id: check-yaml\n"
    )
    (user_repo / "tests" / "certs").mkdir(parents=True)
    (user_repo / "tests" / "certs" / "client.key").write_text(private_key_block())
    pyproject = user_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        '"LICENSE"]', '"LICENSE", ".pre-commit-config.yaml"]'))

    clean = commit(user_repo, pre_commit_home, "clean")
    said = clean.stdout + clean.stderr
    assert clean.returncode == 0, said
    assert "hatch-stage check" in said and "Passed" in said
    assert "low confidence" in said and "tests/certs/client.key" in said  # shown, not blocking

    token = TOKENS["GitHub Token"]()
    module = user_repo / "src" / "sample_pkg" / "cloud.py"
    module.write_text(f'GITHUB = "{token}"\n')
    refused = commit(user_repo, pre_commit_home, "plant a token")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "Failed" in output and "GitHub Token" in output and "cloud.py:1" in output
    assert token not in output and token[4:] not in output
    assert git("log", "--oneline", cwd=user_repo).stdout.count("\n") == 1, (
        "the commit did not happen"
    )


def test_hook_passes_on_a_setuptools_project_whose_version_comes_from_git(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """setuptools with setuptools-scm: the hook's environment (made by pre-commit, holding
    hatch-stage only) builds it in a build environment of its own, after the release tag."""
    monkeypatch.setenv("HATCH_STAGE_CACHE_DIR", str(tmp_path / "build-envs"))
    project = tmp_path / "scm"
    shutil.copytree(PROJECTS / "scm-setuptools", project)
    git("init", "-q", "-b", "main", cwd=project)
    git("add", "-A", cwd=project)
    assert git("commit", "-qm", "release", cwd=project).returncode == 0
    git("tag", "v2.0.1", cwd=project)
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(
        f"#!/bin/sh\nexec '{PRE_COMMIT}' try-repo '{hook_repo}' hatch-stage-check --ref HEAD\n"
    )
    hook.chmod(0o755)
    (project / "CHANGELOG.md").write_text("# Changes\n\n## 2.0.1\n\n- Second release.\n")
    passed = commit(project, pre_commit_home, "changelog")
    said = passed.stdout + passed.stderr
    assert passed.returncode == 0, said
    assert "hatch-stage check" in said and "Passed" in said
    assert git("log", "--oneline", cwd=project).stdout.count("\n") == 2
