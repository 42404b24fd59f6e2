"""The example plugins in hooks/, pip-installed into a real virtual env and run by its CLI.

Shows the plugin story end to end: an outside scanner runs next to the built-in ones, an
outside scorer adds its check to the score, and ``disable`` blocks any plugin by name.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from clitools import PROJECTS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "hooks"
SETTINGS_MEMBER = "sample_pkg/settings.py"


@pytest.fixture(scope="session")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with hatch-stage and both example plugins pip-installed (not editable)."""
    venv = tmp_path_factory.mktemp("plugins") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # hatch-stage's dependencies come from the test environment, so nothing is downloaded;
    # hatch-stage itself and the plugins are real installs in the venv, found first
    Path(purelib, "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         str(ROOT), str(HOOKS / "hatch-stage-acme-scanner"), str(HOOKS / "hatch-stage-team-score")],
        capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return venv


def random_secret(alphabet: str, length: int) -> str:
    # made fresh each run so no real-looking secret sits in this repository
    return "".join(random.choices(alphabet, k=length))


@pytest.fixture(scope="module")
def secrets() -> dict[str, str]:
    return {
        "aws": "AKIA" + random_secret(string.ascii_uppercase + string.digits, 16),
        "acme": "acme_live_" + random_secret(string.ascii_letters + string.digits, 32),
    }


def leaky_project(directory: Path, secrets: dict[str, str], extra_pyproject: str = "") -> Path:
    """The well-kept sample with an AWS key on line 3 and an ACME token on line 4 of a module."""
    project = directory / "leaky"
    shutil.copytree(PROJECTS / "sample", project)
    (project / "src" / SETTINGS_MEMBER).write_text(
        '"""Settings."""\n\n'
        f'AWS_ACCESS_KEY_ID = "{secrets["aws"]}"\n'
        f'ACME_TOKEN = "{secrets["acme"]}"\n',
        encoding="utf-8",
    )
    with (project / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(extra_pyproject)
    return project


def dry_run(venv: Path, project: Path, secrets: dict[str, str]) -> dict[str, Any]:
    """``hatch-stage publish --dry-run --json`` of the venv, run in ``project``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HATCH_STAGE_")}
    completed = subprocess.run(
        [str(venv / "bin" / "hatch-stage"), "publish", "--dry-run", "--json"],
        cwd=project, env=environment, capture_output=True, text=True, timeout=120,
    )
    output = completed.stdout + completed.stderr
    assert not any(secret in output for secret in secrets.values()), "a secret was printed"
    document: dict[str, Any] = json.loads(completed.stdout)
    assert completed.returncode == (0 if document["success"] else 1), output
    return document


def findings_of(document: dict[str, Any], plugin: str) -> list[dict[str, Any]]:
    return [finding for finding in document["findings"] if finding["plugin"] == plugin]


@pytest.fixture(scope="module")
def everything_on(
    plugin_venv: Path, secrets: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    return dry_run(plugin_venv, leaky_project(tmp_path_factory.mktemp("on"), secrets), secrets)


def test_outside_scanner_reports_the_acme_token(
    everything_on: dict[str, Any], secrets: dict[str, str]
) -> None:
    assert everything_on["success"] is False
    assert everything_on["error_code"] == "secrets_found"
    acme = findings_of(everything_on, "acme-scanner")
    in_wheel = [f for f in acme if f["artifact"].endswith(".whl")]
    assert len(in_wheel) == 1
    assert (in_wheel[0]["member"], in_wheel[0]["line"]) == (SETTINGS_MEMBER, 4)
    assert in_wheel[0]["type"] == "ACME Live Token"
    assert in_wheel[0]["masked"] == "acme_live_" + "*" * 28 + secrets["acme"][-4:]
    assert any(f["member"].endswith("src/" + SETTINGS_MEMBER) for f in acme), "the sdist too"
    built_in = findings_of(everything_on, "detect-secrets")
    assert any(f["type"] == "AWS Access Key" and f["line"] == 3 for f in built_in)


@pytest.mark.parametrize(("disabled", "still_running"), [
    ("detect-secrets", "acme-scanner"),
    ("acme-scanner", "detect-secrets"),
])
def test_disable_blocks_a_scanner_by_name(
    plugin_venv: Path, secrets: dict[str, str], tmp_path: Path, disabled: str, still_running: str
) -> None:
    setting = f'\n[tool.hatch-stage]\ndisable = ["{disabled}"]\n'
    document = dry_run(plugin_venv, leaky_project(tmp_path, secrets, setting), secrets)
    assert findings_of(document, disabled) == []
    assert findings_of(document, still_running), f"{still_running} still reports its finding"
    assert document["success"] is False, "the remaining finding still blocks the release"


def test_team_scorer_adds_its_check(
    everything_on: dict[str, Any], plugin_venv: Path, secrets: dict[str, str], tmp_path: Path
) -> None:
    checks = {c["name"]: c for c in everything_on["quality"]["checks"]}
    team = checks["security-policy"]
    assert (team["plugin"], team["points"], team["max_points"]) == ("team-score", 0, 10)
    assert "[project.urls]" in team["reason"]
    assert checks["readme"]["plugin"] == "python-score"
    # the sample earns all 100 built-in points; the team rule's 10 missing ones cost 100 -> 90
    assert everything_on["quality"]["score"] == 100 * 100 // 110

    project = leaky_project(tmp_path, secrets)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    policy = '[project.urls]\nSecurity = "https://example.invalid/security"\n'
    pyproject.write_text(text.replace("[project.urls]\n", policy), encoding="utf-8")
    document = dry_run(plugin_venv, project, secrets)
    team = {c["name"]: c for c in document["quality"]["checks"]}["security-policy"]
    assert team["passed"] is True and "https://example.invalid/security" in team["reason"]
    assert document["quality"]["score"] == 100
