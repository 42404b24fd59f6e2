"""The example plugins in hooks/, pip-installed into a real virtual env and run by its CLI.

Shows the plugin story end to end: an outside scanner runs next to the built-in ones, an
outside scorer adds its check to the score, an outside auth plugin gives the token of every
command that needs one, an outside review rule adds its flag to ``hatch-stage diff``, and
``disable`` blocks any plugin by name.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import string
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clitools import PROJECTS
from releasepairs import PAIR_FLAGS, module_of, write_release
from stagekit import Server, build_release, unique_name

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "hooks"
SETTINGS_MEMBER = "sample_pkg/settings.py"
PLUGINS = ("hatch-stage-acme-scanner", "hatch-stage-team-score", "hatch-stage-credential-helper",
           "hatch-stage-team-review")


@pytest.fixture(scope="session")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with hatch-stage and the example plugins pip-installed (not editable)."""
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
         str(ROOT), *(str(HOOKS / plugin) for plugin in PLUGINS)],
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


# an outside auth plugin: the credential helper ----------------------------------------------

@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("auth-registry") / "data", None).start()
    try:
        yield server
    finally:
        server.stop()


def credential_helper(directory: Path, tokens: dict[str, str]) -> str:
    """A helper command answering from a JSON file, as a team's vault client would."""
    store = directory / "vault.json"
    store.write_text(json.dumps(tokens), encoding="utf-8")
    script = directory / "vault.py"
    script.write_text("import json, sys\nurl = sys.stdin.readline().strip()\n"
                      "print(json.load(open(sys.argv[1])).get(url, ''))\n", encoding="utf-8")
    return shlex.join([sys.executable, str(script), str(store)])


def test_an_outside_auth_plugin_serves_the_review_commands(
    plugin_venv: Path, registry: Server, tmp_path: Path
) -> None:
    """Issue 11, item 13: list, view, download, approve and reject take their token from the
    ``hatch_stage_auth`` hook (purpose "manage"), so an installed auth plugin applies there,
    ahead of the built-in sources, and ``disable`` is honoured."""
    name = unique_name("vault")
    maintainer, stager = registry.maintainer(name), registry.maintainer(name, "stage")
    secrets = {maintainer.token, stager.token, maintainer.totp_secret}
    ids = [str(registry.client(maintainer.token).stage(
        name, version, build_release(tmp_path / "dist", name, version))["id"])
        for version in ("1.0.0", "1.1.0")]
    helper = credential_helper(tmp_path, {registry.url: maintainer.token})
    project = tmp_path / "project"
    project.mkdir()

    def review(*args: str, disable: str = "", **env: str | None) -> dict[str, Any]:
        settings = f'\n[tool.hatch-stage]\ndisable = ["{disable}"]\n' if disable else ""
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "1.1.0"\n{settings}', encoding="utf-8")
        environment: dict[str, str | None] = {
            key: value for key, value in os.environ.items() if not key.startswith("HATCH_STAGE_")}
        environment.update(HOME=str(tmp_path), HATCH_STAGE_TOKEN=stager.token,
                           PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
                           HATCH_STAGE_CREDENTIAL_HELPER=helper)
        environment.update(env)
        completed = subprocess.run(
            [str(plugin_venv / "bin" / "hatch-stage"), *args, "--registry", registry.url,
             "--json"], cwd=project, capture_output=True, text=True, timeout=120,
            env={key: value for key, value in environment.items() if value is not None})
        assert not any(secret in completed.stdout + completed.stderr for secret in secrets)
        document: dict[str, Any] = json.loads(completed.stdout)
        assert completed.returncode == (0 if document["success"] else 1), completed.stderr
        return document

    # the helper's maintainer token, not the stage-only HATCH_STAGE_TOKEN, does everything
    assert sorted(item["stageId"] for item in review("list", name)["data"]) == sorted(ids)
    assert review("view", ids[0])["data"]["version"] == "1.0.0"
    downloaded = review("download", ids[0], "-d", str(tmp_path / "got"))["data"]["files"]
    assert len(downloaded) == 2
    assert review("approve", ids[0], "--otp", maintainer.otp())["data"]["status"] == "published"

    # disabled by name, the helper is not asked: the stage-only token cannot reject
    refused = review("reject", ids[1], "--otp", "000000", disable="credential-helper")
    assert refused["error_code"] == "forbidden"
    # with the built-in source disabled and no helper, HATCH_STAGE_TOKEN is not read at all
    nothing = review("list", name, disable="python-auth", HATCH_STAGE_TOKEN=maintainer.token,
                     HATCH_STAGE_CREDENTIAL_HELPER=None)
    assert nothing["error_code"] == "not_logged_in" and "python-auth" in nothing["error"]

    rejected = review("reject", ids[1], "--otp", maintainer.otp(1), disable="python-auth")
    assert rejected["data"]["status"] == "canceled"


# the review rule -------------------------------------------------------------------------------

def venv_cli(venv: Path, *args: str, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """The venv's ``hatch-stage ... --json``; its one JSON document."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HATCH_STAGE_")}
    completed = subprocess.run([str(venv / "bin" / "hatch-stage"), *args, "--json"], cwd=cwd,
                               env={**environment, **env}, capture_output=True, text=True,
                               timeout=120)
    document: dict[str, Any] = json.loads(completed.stdout)
    assert document["success"], completed.stdout + completed.stderr
    return document


@pytest.fixture(scope="module")
def staged_pair(plugin_venv: Path, registry: Server, tmp_path_factory: pytest.TempPathFactory,
                ) -> Any:
    """1.0 of a fixture pair live on the registry, its 1.1 staged: (venv runner, id, module)."""
    directory = tmp_path_factory.mktemp("review")
    name = unique_name("team")
    maintainer = registry.maintainer(name)
    env = {"HATCH_STAGE_TOKEN": maintainer.token, "HATCH_STAGE_REGISTRY": registry.url,
           "HATCH_STAGE_HOME": str(directory / "home")}

    def run(*args: str, cwd: Path = directory, **extra: str) -> dict[str, Any]:
        return venv_cli(plugin_venv, *args, cwd=cwd, env={**env, **extra})

    first = write_release(directory / "v10", name, "1.0", risky=False)
    stage_id = run("publish", "--yes", cwd=first)["stageId"]
    run("view", stage_id)  # approval publishes what this machine reviewed
    run("approve", stage_id, "--otp", maintainer.otp())
    second = write_release(directory / "v11", name, "1.1", risky=True)
    return run, run("publish", "--yes", cwd=second)["stageId"], module_of(name)


def test_outside_review_rule_adds_its_flag_and_disable_removes_rules(staged_pair: Any,
                                                                     tmp_path: Path) -> None:
    run, stage_id, module = staged_pair
    flags = run("diff", stage_id)["data"]["flags"]
    team = [flag for flag in flags if flag["plugin"] == "team-review"]
    assert [(flag["rule"], flag["reason"].split()[0]) for flag in team] == [
        ("new-top-level-name", f"{module}_startup.pth")]
    assert {flag["rule"] for flag in flags} == PAIR_FLAGS | {"new-top-level-name"}

    # a built-in rule blocked from the environment, the outside one from the project's settings
    without_pth = run("diff", stage_id, HATCH_STAGE_DISABLE="pth-file")["data"]["flags"]
    assert {flag["rule"] for flag in without_pth} == (
        PAIR_FLAGS - {"pth-file"}) | {"new-top-level-name"}
    (tmp_path / "pyproject.toml").write_text('[tool.hatch-stage]\ndisable = ["team-review"]\n')
    without_team = run("diff", stage_id, cwd=tmp_path)["data"]["flags"]
    assert {flag["rule"] for flag in without_team} == PAIR_FLAGS
