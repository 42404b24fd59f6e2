"""Issue 15, must-show 4: a pnpm workspace whose members depend on each other through
``workspace:^`` is staged with ``hatch-stage publish --workspace`` against a real Verdaccio 9
(its ``stage`` flag on), and approved as one group in dependency order with the real npm 12
resolving the result; when the second approval fails, the report says exactly which
versions are live and which are not, and approving the group again finishes the rest.

The second approval fails the way it does on any npm registry whose codes work once: the
approver passed one code (``--otp``) under ``--json``, where nobody can type a fresh one;
Verdaccio refuses the code the first approval used. The approvals with a person at the
keyboard run the command in-process with its prompt answered by the maintainer's
authenticator (the test's only stand-in: the terminal)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from npm_helpers import well_kept, well_kept_files, write_package, write_workspace
from npm_verdaccio import Registry, User, publish_first_version

from hatch_stage.cli import main
from hatch_stage.output import console

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("npm")]

ROLES = ("core", "lib", "app")


def workspace(registry: Registry, root: Path, prefix: str) -> dict[str, str]:
    """A pnpm workspace: core <- lib <- app (``workspace:^``), a private tool; every public
    member's 1.0.0 published by pat (staging cannot create a package), the tree at 1.1.0."""
    names = {role: f"{prefix}-{role}" for role in ROLES}
    write_workspace(root, "packages:\n  - packages/*\n",
                    {"name": f"{prefix}-root", "private": True, "version": "0.0.0"})
    needs = {"core": None, "lib": "core", "app": "lib"}
    for role, name in names.items():
        directory = root / "packages" / role
        dependency = needs[role]
        first = {"dependencies": {names[dependency]: "^1.0.0"}} if dependency else {}
        write_package(directory, well_kept(name, "1.0.0", **first), well_kept_files(name))
        publish_first_version(registry, directory)
        later = {"dependencies": {names[dependency]: "workspace:^"}} if dependency else {}
        write_package(directory, well_kept(name, "1.1.0", **later), {})
    write_package(root / "packages" / "tool",
                  {"name": f"{prefix}-tool", "version": "1.0.0", "private": True,
                   "dependencies": {names["core"]: "workspace:*"}}, {})
    return names


def cli(capsys: pytest.CaptureFixture[str], registry: Registry, root: Path,
        *args: str) -> tuple[int, dict[str, Any]]:
    """``hatch-stage ... --json`` in-process against Verdaccio; exit status and document."""
    status, out = at_terminal(capsys, registry, root, *args, "--json")
    return status, json.loads(out)


def at_terminal(capsys: pytest.CaptureFixture[str], registry: Registry, root: Path,
                *args: str) -> tuple[int, str]:
    """``hatch-stage ...`` in-process against Verdaccio; exit status and what it printed."""
    capsys.readouterr()
    status = main([*args, "--npm-registry", registry.url, "--project", str(root)])
    shown = capsys.readouterr()
    return status, shown.out + shown.err


def keyboard(monkeypatch: pytest.MonkeyPatch, user: User) -> list[str]:
    """A terminal at which ``user`` types the next code of their authenticator whenever the
    command asks for a one-time password; the prompts it showed."""
    prompts: list[str] = []

    def typed(prompt: str, password: bool = False) -> str:
        prompts.append(prompt)
        assert password, prompt
        return user.otp()

    monkeypatch.setattr("hatch_stage.commands.review.is_terminal", lambda stream: True)
    monkeypatch.setattr(console, "input", typed)
    return prompts


def staged_workspace(registry: Registry, root: Path, prefix: str,
                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                     ) -> tuple[dict[str, str], dict[str, Any]]:
    """:func:`workspace`, staged by ``publish --workspace`` as pat; names and the document."""
    names = workspace(registry, root, prefix)
    monkeypatch.setenv("NPM_TOKEN", registry.users["pat"].token)
    status, staged = cli(capsys, registry, root, "publish", "--workspace", "--yes")
    assert status == 0, staged
    return names, staged


def test_a_pnpm_workspace_is_staged_and_approved_in_dependency_order(
        npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "monorepo"
    names, staged = staged_workspace(npm_env, root, "hs-ws15", monkeypatch, capsys)
    assert staged["order"] == [names[role] for role in ROLES]
    skipped = {member["name"]: member["reason"] for member in staged["members"]
               if member["state"] == "skipped"}
    assert skipped == {"hs-ws15-root": 'private ("private": true)',
                       "hs-ws15-tool": 'private ("private": true)'}
    group = staged["group"]
    assert group["kept"] == "local"  # npm registries have no groups
    by_name = {member["name"]: member for member in staged["members"]}
    assert group["stageIds"] == [by_name[names[role]]["stageId"] for role in ROLES]
    assert by_name[names["lib"]]["requires"] == [f"{names['core']}@^1.1.0"]
    listed = json.loads(npm_env.npm(["stage", "list", "--json"], user="pat").stdout)
    assert {item["id"] for item in listed} >= set(group["stageIds"])
    assert all("1.1.0" not in npm_env.packument(names[role])["versions"] for role in ROLES)

    # the maintainer: the group is listed, viewed (each member remembered), approved in order
    milo = npm_env.users["milo"]
    monkeypatch.setenv("NPM_TOKEN", milo.token)
    status, shown = cli(capsys, npm_env, root, "list")
    assert status == 0 and [found["id"] for found in shown["groups"]] == [group["id"]]
    status, viewed = cli(capsys, npm_env, root, "view", group["id"])
    assert status == 0
    assert [member["stageId"] for member in viewed["data"]["members"]] == group["stageIds"]
    prompts = keyboard(monkeypatch, milo)
    status, approved = at_terminal(capsys, npm_env, root, "approve", group["id"])
    assert status == 0, approved
    # one line per id, in the group's order; a fresh code was asked for each approval
    assert [line.split()[-1] for line in approved.splitlines()
            if line.startswith("approved")] == group["stageIds"]
    assert len(prompts) == 3 and prompts[0] == "one-time password to approve: "

    for role in ROLES:
        assert "1.1.0" in npm_env.packument(names[role])["versions"]
    lib = npm_env.packument(names["lib"])["versions"]["1.1.0"]
    assert lib["dependencies"] == {names["core"]: "^1.1.0"}, "workspace:^ was pinned"
    # what npm itself resolves for app now: the lib and core of this release
    shown = json.loads(npm_env.npm(["view", f"{names['app']}@1.1.0", "dependencies",
                                     "--json"]).stdout)
    shown = shown[0] if isinstance(shown, list) else shown  # npm 12 answers with a list
    assert shown == {names["lib"]: "^1.1.0"}


def test_when_the_second_approval_fails_the_report_says_what_is_live(
        npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "monorepo"
    names, staged = staged_workspace(npm_env, root, "hs-ws15p", monkeypatch, capsys)
    group, ids = staged["group"]["id"], staged["group"]["stageIds"]
    maya = npm_env.users["maya"]
    monkeypatch.setenv("NPM_TOKEN", maya.token)
    assert cli(capsys, npm_env, root, "view", group)[0] == 0

    # one code for three approvals, and nobody to ask for a fresh one
    status, stopped = cli(capsys, npm_env, root, "approve", group, "--otp", maya.otp())
    assert status == 1 and stopped["success"] is False
    assert stopped["error_code"] == "otp_required"
    assert stopped["data"]["live"] == [
        {"stageId": ids[0], "name": names["core"], "version": "1.1.0"}]
    assert [(entry["stageId"], entry["why"].split(":")[0]) for entry in
            stopped["data"]["not_live"]] == [(ids[1], "approval failed"), (ids[2], "not tried")]
    message = stopped["error"]
    assert f"Live now: {names['core']}@1.1.0 ({ids[0]})" in message
    assert f"not live: {names['lib']}@1.1.0 ({ids[1]}, its approval failed)" in message
    assert f"{names['app']}@1.1.0 ({ids[2]}, not tried)" in message
    versions = {role: npm_env.packument(names[role])["versions"] for role in ROLES}
    assert "1.1.0" in versions["core"]
    assert "1.1.0" not in versions["lib"] and "1.1.0" not in versions["app"]

    # approving the group again, at a terminal: core is left out (it is live), the rest goes
    keyboard(monkeypatch, maya)
    status, finished = at_terminal(capsys, npm_env, root, "approve", group)
    assert status == 0, finished
    assert f"{names['core']} 1.1.0 ({ids[0]}) of {group} is no longer staged" in finished
    assert [line.split()[-1] for line in finished.splitlines()
            if line.startswith("approved")] == ids[1:]
    assert all("1.1.0" in npm_env.packument(names[role])["versions"] for role in ROLES)
