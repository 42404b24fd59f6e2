"""Issue 11, item 9: a registry flag chooses its target instead of being ignored.

``--npm-registry`` names an npm registry, so it means the npm target even from a Python
project; ``--registry`` names a Python stage registry, so it means the Python target even from
an npm project; a flag that contradicts ``--target`` (or the other registry flag) is an error
naming both. The real command line runs in a subprocess; a scriptable HTTP server on
127.0.0.1 (:mod:`npm_standin`) plays the registry and records which protocol reached it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clitools import PROJECTS, Run, run_cli
from npm_standin import Seen, StandIn, serve

STAGE_ID = "0b3e8f2a-6c1d-4e5f-8a9b-0c1d2e3f4a5b"
NPM_TOKEN = "npm_FlagsTestTokenFlagsTestToken12345"
PYTHON_TOKEN = "hst_FlagsTestTokenFlagsTestTokenFlagsTest"


@pytest.fixture
def registry() -> Iterator[StandIn]:
    yield from serve()


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str | None]:
    """An isolated environment: no token, registry or npm config of the machine applies."""
    directory = tmp_path / "home"
    directory.mkdir()
    cleared = ("NPM_TOKEN", "NPM_ID_TOKEN", "NPM_CONFIG_REGISTRY", "npm_config_registry",
               "HATCH_STAGE_TOKEN", "HATCH_STAGE_REGISTRY", "HATCH_STAGE_TARGET",
               "GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL")
    return {**dict.fromkeys(cleared), "HOME": str(directory),
            "HATCH_STAGE_HOME": str(directory / "store"),
            "XDG_DATA_HOME": str(directory / "data"), "XDG_CONFIG_HOME": str(directory / "cfg"),
            "NPM_CONFIG_USERCONFIG": str(directory / "npmrc"), "PYPIRC": str(directory / "pypirc"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


@pytest.fixture
def python_project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / "sample", tmp_path / "python-project"))


@pytest.fixture
def npm_project(tmp_path: Path) -> Path:
    root = tmp_path / "npm-project"
    root.mkdir()
    (root / "package.json").write_text(json.dumps({"name": "flags-pkg", "version": "1.0.0"}))
    return root


def run(cwd: Path, env: dict[str, str | None], *args: str) -> tuple[Run, dict[str, Any]]:
    done = run_cli([*args, "--json"], cwd=cwd, env={**env, "NPM_TOKEN": NPM_TOKEN,
                                                   "HATCH_STAGE_TOKEN": PYTHON_TOKEN})
    assert NPM_TOKEN not in done.stdout + done.stderr
    assert PYTHON_TOKEN not in done.stdout + done.stderr
    return done, json.loads(done.stdout)


#: the staged tarball's checksum the stand-in reports; approve is bound to it
SHASUM = "f" * 40


def npm_answers(registry: StandIn) -> None:
    registry.routes[("GET", "/-/stage")] = lambda seen: (200, {}, {"items": [], "total": 0})
    registry.routes[("GET", f"/-/stage/{STAGE_ID}")] = lambda seen: (200, {}, {
        "id": STAGE_ID, "packageName": "flags-pkg", "version": "1.0.0", "shasum": SHASUM})
    registry.routes[("POST", f"/-/stage/{STAGE_ID}/approve")] = (
        lambda seen: (201, {}, {"message": "approved"}))


def test_npm_registry_from_a_python_project_goes_to_npm(
    registry: StandIn, home: dict[str, str | None], python_project: Path
) -> None:
    """The issue's case: approve with --npm-registry from a Python project."""
    npm_answers(registry)
    done, approved = run(python_project, home, "approve", STAGE_ID, "--otp", "123456",
                         "--digest", f"sha1:{SHASUM}", "--npm-registry", registry.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (approved["target"], approved["registry"]) == ("npm", registry.url)
    # the stage is read again to compare its tarball with the reviewed one, then approved
    assert registry.paths() == [f"GET /-/stage/{STAGE_ID}", f"POST /-/stage/{STAGE_ID}/approve"]
    request = registry.seen[-1]
    assert request.headers["npm-otp"] == "123456"
    assert request.headers["authorization"] == f"Bearer {NPM_TOKEN}"

    done, listed = run(python_project, home, "list", "--npm-registry", registry.url)
    assert done.returncode == 0 and listed["target"] == "npm" and listed["data"] == []
    assert registry.paths()[-1] == "GET /-/stage"


def test_registry_from_an_npm_project_goes_to_the_python_registry(
    registry: StandIn, home: dict[str, str | None], npm_project: Path
) -> None:
    def sessions(seen: Seen) -> tuple[int, dict[str, str], object]:
        return 200, {}, {"sessions": [], "total": 0}

    registry.routes[("GET", "/upload/2.0/sessions")] = sessions
    url = registry.url.rstrip("/")
    done, listed = run(npm_project, home, "list", "--registry", url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (listed["target"], listed["registry"]) == ("python", url)
    # the staged sessions, and the groups they belong to (a registry without groups: 404)
    assert [seen.path for seen in registry.seen] == ["/upload/2.0/sessions", "/upload/2.0/groups"]
    assert {seen.headers["authorization"] for seen in registry.seen} == {
        f"Bearer {PYTHON_TOKEN}"}

    # publish needs a project of the target: an npm directory says how to stage it
    done, refused = run(npm_project, home, "publish", "--registry", url, "--yes")
    assert (done.returncode, refused["error_code"]) == (2, "config_invalid")
    assert "npm project" in refused["error"] and "--npm-registry" in refused["error"]
    assert len(registry.seen) == 2, "nothing was sent"


@pytest.mark.parametrize(("flags", "named"), [
    (("--target", "python", "--npm-registry", "URL"), ("--target python", "--npm-registry")),
    (("--target", "npm", "--registry", "URL"), ("--target npm", "--registry")),
    (("--registry", "URL", "--npm-registry", "URL"), ("--registry", "--npm-registry")),
])
@pytest.mark.parametrize("command", [
    ("approve", STAGE_ID, "--otp", "123456"), ("list",), ("publish", "--yes"),
])
def test_a_contradiction_is_an_error_naming_both_flags(
    registry: StandIn, home: dict[str, str | None], python_project: Path,
    flags: tuple[str, ...], named: tuple[str, str], command: tuple[str, ...],
) -> None:
    url = registry.url.rstrip("/")
    given = [url if flag == "URL" else flag for flag in flags]
    done, refused = run(python_project, home, *command, *given)
    assert (done.returncode, refused["success"], refused["error_code"]) == (
        2, False, "config_invalid")
    assert all(flag in refused["error"] for flag in named), refused["error"]
    assert registry.seen == [], "nothing was sent"


def test_login_with_an_npm_registry_stores_an_npm_token(
    registry: StandIn, home: dict[str, str | None], tmp_path: Path
) -> None:
    keyring = {**home, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    done = run_cli(["login", "--npm-registry", registry.url, "--token-stdin", "--json"],
                   cwd=tmp_path, env=keyring, input=NPM_TOKEN + "\n")
    stored = json.loads(done.stdout)
    assert (stored["success"], stored["target"], stored["registry"]) == (
        True, "npm", registry.url), done.stdout + done.stderr
    done = run_cli(["logout", "--npm-registry", registry.url, "--json"], cwd=tmp_path,
                   env=keyring)
    assert json.loads(done.stdout)["data"] == {"removed": True}, done.stdout + done.stderr
    done = run_cli(["login", "--npm", "--registry", registry.url, "--token-stdin", "--json"],
                   cwd=tmp_path, env=keyring, input=NPM_TOKEN + "\n")
    refused = json.loads(done.stdout)
    assert refused["error_code"] == "config_invalid" and "--npm contradicts --registry" in (
        refused["error"])
