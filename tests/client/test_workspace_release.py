"""Issue 15: releasing a whole workspace in one step, with the real command line against a
real ``hatch-stage serve`` (SQLite; tests/registry runs the batch on PostgreSQL too).

Must-show 1: a three-member hatch workspace and a uv one (core <- lib <- app) are staged as
three sessions in dependency order, listed and viewed as one group, approved with one code,
and a real ``pip install app`` from the live index brings the pinned lib and core.
Must-show 3: a member with a planted secret stages nothing and is named with file and line.
Also: what a release set holds (private, excluded, published members), requirements no
version can meet, the dry runs, and a rerun taking up what was staged."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clientkit import Cli, matches
from secretkinds import checksummed
from stagekit import Account, Server, unique_name
from workspacekit import Workspace, python_workspace

pytestmark = pytest.mark.slow


def maintainer(cli: Cli, workspace: Workspace, role: str = "maintain") -> Account:
    """A user with TOTP and one token covering every member of the workspace."""
    server = cli.server
    user = unique_name("user")
    secret = server.admin("user", "add", user)["totp_secret"]
    projects = [flag for name in workspace.names.values() for flag in ("--project", name)]
    token = server.admin("token", "create", "--user", user, *projects, "--role", role)["token"]
    cli.secret(token, secret)
    return Account(user, token, secret)


def run(cli: Cli, account: Account, *args: str, cwd: Path) -> dict[str, Any]:
    return cli.json(*args, "--registry", cli.server.url, env={"HATCH_STAGE_TOKEN": account.token},
                    cwd=cwd)


def live(server: Server, name: str) -> list[str]:
    page = httpx2.get(f"{server.url}/simple/{name}/",
                      headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    return list(page.json()["versions"]) if page.status_code == 200 else []


def installed(venv: Path) -> dict[str, str]:
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format",
                             "json", "--disable-pip-version-check"],
                            capture_output=True, text=True, timeout=120, check=True)
    return {entry["name"]: entry["version"] for entry in json.loads(listed.stdout)}


@pytest.mark.parametrize("tool", ["hatch", "uv"])
def test_a_workspace_is_staged_in_order_approved_with_one_code_and_installs(
        cli: Cli, registry: Server, tmp_path: Path, tool: str) -> None:
    workspace = python_workspace(tmp_path / "ws", tool)
    account = maintainer(cli, workspace)
    core, lib, app = (workspace.names[role] for role in ("core", "lib", "app"))

    staged = matches(run(cli, account, "publish", "--workspace", "--yes", cwd=workspace.root),
                     "publish --workspace")
    assert staged["order"] == [core, lib, app]
    members = {member["name"]: member for member in staged["members"]}
    assert [members[name]["state"] for name in (core, lib, app)] == ["staged"] * 3
    assert members[lib]["requires"] == [f"{core}==1.0.0"]
    assert members[app]["requires"] == [f"{lib}==1.0.0"]
    group = staged["group"]
    assert group["kept"] == "registry"
    assert group["stageIds"] == [members[name]["stageId"] for name in (core, lib, app)]
    assert all(live(registry, name) == [] for name in (core, lib, app)), "nothing live yet"

    # another machine (a home of its own) sees the group on the registry, views, approves
    elsewhere = Cli(tmp_path / "maintainer", registry, secrets=cli.secrets)
    listed = matches(run(elsewhere, account, "list", cwd=tmp_path), "list")
    [shown] = [found for found in listed["groups"] if found["id"] == group["id"]]
    assert [member["name"] for member in shown["members"]] == [core, lib, app]
    assert {item["stageId"]: item["group"] for item in listed["data"]
            if item["stageId"] in group["stageIds"]} == dict.fromkeys(group["stageIds"],
                                                                       group["id"])
    viewed = matches(run(elsewhere, account, "view", group["id"], cwd=tmp_path), "view (group)")
    assert [member["stageId"] for member in viewed["data"]["members"]] == group["stageIds"]
    human = elsewhere("view", group["id"], "--registry", registry.url, cwd=tmp_path,
                      env={"HATCH_STAGE_TOKEN": account.token})
    assert human.returncode == 0
    assert f"{core} 1.0.0 -> {lib} 1.0.0 -> {app} 1.0.0" in human.stdout
    # each member as `view ID` shows one: its digest, who built each file, the review rules
    for member in viewed["data"]["members"]:
        assert f"release digest: {member['digest']}" in human.stdout
        assert f"details: hatch-stage diff {member['stageId']}" in human.stdout
    assert human.stdout.count("provenance: no provenance") == 6, human.stdout  # 2 files each
    assert human.stdout.count("no flags") + human.stdout.count(" flag") >= 3
    cli.runs.extend(elsewhere.runs)  # checked for leaked secrets with the rest

    approved = run(elsewhere, account, "approve", group["id"], "--otp", account.otp(),
                   cwd=tmp_path)
    assert approved["success"], approved
    assert [(result["stageId"], result["result"]["status"]) for result in approved["data"]] == [
        (stage_id, "published") for stage_id in group["stageIds"]]
    assert all(live(registry, name) == ["1.0.0"] for name in (core, lib, app))

    # a real pip, resolving dependencies from the live index only
    venv = tmp_path / "venv"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=180)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-cache-dir",
                          "--disable-pip-version-check", "--index-url",
                          f"{registry.url}/simple/", app],
                         capture_output=True, text=True, timeout=300)
    cli.record("pip install", pip.stdout + pip.stderr)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    versions = installed(venv)
    assert {name: versions.get(name) for name in (core, lib, app)} == dict.fromkeys(
        (core, lib, app), "1.0.0")


def test_a_planted_secret_in_one_member_stages_nothing_and_names_it(
        cli: Cli, registry: Server, tmp_path: Path) -> None:
    workspace = python_workspace(tmp_path / "ws")
    account = maintainer(cli, workspace)
    lib = workspace.names["lib"]
    planted = checksummed("ghp_")  # a well-formed GitHub token: its checksum holds
    settings = workspace.dirs["lib"] / "src" / lib.replace("-", "_") / "settings.py"
    settings.write_text(f'"""Settings."""\n\nTIMEOUT = 30\nGITHUB_TOKEN = "{planted}"\n')

    refused = run(cli, account, "publish", "--workspace", "--yes", cwd=workspace.root)
    assert refused["success"] is False and refused["error_code"] == "secrets_found"
    assert refused["group"] is None and refused["order"] == []
    states = {member["name"]: member["state"] for member in refused["members"]}
    assert states == {workspace.names["core"]: "not staged", lib: "blocked",
                      workspace.names["app"]: "not staged"}
    findings = [finding for member in refused["members"] if member["name"] == lib
                for finding in member["report"]["findings"]]
    module = lib.replace("-", "_")
    assert any(finding["member"].endswith(f"{module}/settings.py") and finding["line"] == 4
               for finding in findings), findings
    human = cli("publish", "--workspace", "--yes", "--registry", registry.url,
                cwd=workspace.root, env={"HATCH_STAGE_TOKEN": account.token})
    assert human.returncode == 1
    assert f"{lib} 1.0.0: 1 high-confidence secret finding" in human.stdout
    assert f"{module}/settings.py:4" in human.stdout
    assert planted not in human.stdout + human.stderr + json.dumps(refused)
    sessions = cli.server.client(account.token).http.get("/upload/2.0/sessions").json()
    assert sessions["total"] == 0, "nothing was staged"


def test_what_the_release_holds_private_excluded_and_published_members(
        cli: Cli, registry: Server, tmp_path: Path) -> None:
    workspace = python_workspace(
        tmp_path / "ws",
        graph={"core": [], "lib": ["core"], "app": ["lib"], "tools": ["core"]},
        extra={"tools": 'classifiers = ["Private :: Do Not Upload"]'})
    account = maintainer(cli, workspace)
    core, lib, app, tools = (workspace.names[role] for role in ("core", "lib", "app", "tools"))

    # core alone first: it is then published and left out of the next release
    first = run(cli, account, "publish", "--workspace", "--only", core, "--yes",
                cwd=workspace.root)
    assert first["order"] == [core]
    skipped = {member["name"]: member["reason"] for member in first["members"]
               if member["state"] == "skipped"}
    assert skipped == {lib: "not selected (--only)", app: "not selected (--only)",
                       tools: "private (classifier 'Private :: Do Not Upload')"}
    run(cli, account, "view", first["group"]["id"], cwd=tmp_path)
    assert run(cli, account, "approve", first["group"]["id"], "--otp", account.otp(),
               cwd=tmp_path)["success"]

    # app alone pins lib 1.0.0, which is neither published nor in the release: refused first
    refused = run(cli, account, "publish", "--workspace", "--exclude", lib, "--yes",
                  cwd=workspace.root)
    assert refused["error_code"] == "unmet_requirement"
    assert f"requires {lib}==1.0.0" in refused["error"]
    assert "not in this release" in refused["error"]
    assert cli.server.client(account.token).http.get(
        "/upload/2.0/sessions", params={"project": app}).json()["total"] == 0

    dry = run(cli, account, "publish", "--workspace", "--dry-run", cwd=workspace.root)
    assert dry["success"] and dry["dry_run"] and dry["order"] == [lib, app]
    reasons = {member["name"]: (member["state"], member["reason"]) for member in dry["members"]}
    assert reasons[core] == ("skipped", "1.0.0 is published already")
    assert reasons[tools][0] == "skipped"
    checked = run(cli, account, "check", "--workspace", cwd=workspace.root)
    assert checked["order"] == [lib, app] and checked["dry_run"] is True
    offline = cli.json("check", "--workspace", "--offline", cwd=workspace.root)
    assert offline["order"] == [core, lib, app] and offline["registry"] is None
    assert cli.server.client(account.token).http.get(
        "/upload/2.0/sessions", params={"project": lib}).json()["total"] == 0

    # the rest; a rerun takes up the sessions and the group it made
    staged = run(cli, account, "publish", "--workspace", "--yes", cwd=workspace.root)
    assert staged["order"] == [lib, app]
    again = run(cli, account, "publish", "--workspace", "--yes", cwd=workspace.root)
    assert again["group"] == staged["group"]
    assert [member["state"] for member in again["members"][:2]] == ["already staged"] * 2

    # a name that is no member is an error before anything else
    unknown = run(cli, account, "publish", "--workspace", "--only", "nope", cwd=workspace.root)
    assert unknown["error_code"] == "config_invalid" and core in unknown["error"]


def test_a_changed_member_makes_the_group_approval_refuse(
        cli: Cli, registry: Server, tmp_path: Path) -> None:
    workspace = python_workspace(tmp_path / "ws")
    account = maintainer(cli, workspace)
    names = [workspace.names[role] for role in ("core", "lib", "app")]
    staged = run(cli, account, "publish", "--workspace", "--yes", cwd=workspace.root)
    group = staged["group"]["id"]
    run(cli, account, "view", group, cwd=tmp_path)

    # a stage-only token replaces lib's files after the review
    stager = maintainer(cli, workspace, role="stage")
    (workspace.dirs["lib"] / "src" / names[1].replace("-", "_") / "extra.py").write_text("X = 1\n")
    assert run(cli, stager, "publish", "--yes", cwd=workspace.dirs["lib"])["success"]

    code = account.otp()
    refused = run(cli, account, "approve", group, "--otp", code, cwd=tmp_path)
    assert refused["error_code"] == "changed_since_review"
    assert staged["group"]["stageIds"][1] in refused["error"]
    assert [live(registry, name) for name in names] == [[], [], []], "none is live"

    run(cli, account, "view", group, cwd=tmp_path)  # a fresh review; the code was not spent
    approved = run(cli, account, "approve", group, "--otp", code, cwd=tmp_path)
    assert approved["success"], approved
    assert [live(registry, name) for name in names] == [["1.0.0"]] * 3
