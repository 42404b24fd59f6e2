"""Issue 11, items 15, 16 and 17: CI cannot pass by skipping, hanging or half installing.

- under ``CI=true`` the PostgreSQL tests fail, not skip, when the server binaries are missing;
- every test runs under a time limit (pytest-timeout, set in pyproject.toml), and the test
  helpers that wait for a server's announcement have deadlines of their own;
- ``.ci/run`` stops at a failing ``pip install``, and the linters' versions are pinned.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from clitools import environment
from stagekit import POSTGRES_BINDIR, read_announcement

from hatch_stage.config import tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pytest_run(*args: str, cwd: Path = ROOT, **env: str | None) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess, without this run's own pytest and xdist variables."""
    inherited = {name: None for name in os.environ if name.startswith(("PYTEST_", "CI"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=cwd,
        env=environment({**inherited, **env}), capture_output=True, text=True, timeout=120)


# item 15 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), (None, "skipped")])
def test_postgres_tests_fail_under_ci_when_postgresql_is_missing(
    tmp_path: Path, ci: str | None, outcome: str
) -> None:
    missing = str(tmp_path / "no-postgresql-here")
    run = pytest_run("tests/registry/test_shared.py", "-k", "postgresql", "-p", "no:xdist",
                     CI=ci, **{POSTGRES_BINDIR: missing})
    output = run.stdout + run.stderr
    assert outcome in output, output
    assert "PostgreSQL server binaries are not installed" in output
    assert (run.returncode != 0) == (ci is not None), output


# item 16 -------------------------------------------------------------------------------------

def test_every_test_runs_under_a_time_limit(request: pytest.FixtureRequest) -> None:
    configured = PYPROJECT["tool"]["pytest"]["ini_options"]["timeout"]
    assert 60 <= configured <= 600, "long enough for a real build, short enough to fail fast"
    assert float(request.config.getini("timeout")) == configured, "pytest-timeout is active"
    assert any(requirement.startswith("pytest-timeout")
               for requirement in PYPROJECT["project"]["optional-dependencies"]["test"])


def test_a_hanging_test_is_stopped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(
        "import time\n\ndef test_hangs():\n    time.sleep(60)\n", encoding="utf-8")
    started = time.monotonic()
    run = pytest_run("-o", "timeout=2", "test_hangs.py", cwd=tmp_path)
    assert run.returncode == 1 and "Timeout" in run.stdout, run.stdout + run.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("script", ["pass", "import time; time.sleep(60)"])
def test_waiting_for_an_announcement_has_a_deadline(script: str) -> None:
    """A server that exits, or hangs, without announcing itself fails the test promptly."""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               text=True)
    started = time.monotonic()
    try:
        with pytest.raises(AssertionError, match=r"ended before|no JSON document within"):
            read_announcement(process, timeout=3)
    finally:
        process.kill()
        process.communicate()
    assert time.monotonic() - started < 10


# item 17 -------------------------------------------------------------------------------------

def test_linters_are_pinned_to_the_versions_checked_here() -> None:
    pins = {}
    for requirement in PYPROJECT["project"]["optional-dependencies"]["test"]:
        name, _, version = requirement.partition("==")
        pins[name] = version
    for tool in ("ruff", "mypy"):
        assert pins.get(tool), f"{tool} must be pinned with =="
        assert importlib.metadata.version(tool) == pins[tool], f"{tool} here is not the pin"


@pytest.mark.slow
def test_ci_stops_at_a_failing_pip_install(tmp_path: Path) -> None:
    """The real .ci/run in a checkout pip cannot install: pip runs with --no-index, so neither
    the build backend nor the test extra's requirement can be found, and nothing is
    downloaded. The import check after the install would not catch it: this run's
    site-packages are on PYTHONPATH, as a partial install leaves most packages importable."""
    checkout = tmp_path / "checkout"
    (checkout / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / ".ci" / "run", checkout / ".ci" / "run")
    (checkout / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "ci-probe"\nversion = "1"\n'
        '[project.optional-dependencies]\ntest = ["hatch-stage-ci-probe-not-on-any-index==1"]\n',
        encoding="utf-8")
    paths = sysconfig.get_paths()
    done = subprocess.run(
        ["bash", str(checkout / ".ci" / "run")], cwd=checkout, capture_output=True, text=True,
        timeout=240, env=environment({
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONPATH": os.pathsep.join([paths["purelib"], str(ROOT / "src")])}))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "== PostgreSQL" not in output and "== ruff" not in output, output
    assert "No matching distribution" in output, output
