"""Issue 15 on the registry, on SQLite and PostgreSQL: groups of sessions (what ``publish
--workspace`` stages) and batch approvals that publish all of a batch or none of it.

Must-show 2: one member changed after the review makes the group's approval refuse and none
of the three is live; after a fresh review the same code publishes all three (the real
command line against the real server, on both backends). With promotion configured, a
member the upstream refuses leaves every session of the batch unpublished and in error, and
approving again publishes all of them. The upstream is a real pypiserver (accepting
identical re-uploads, as PyPI does) and, for the failing member, a port nobody listens on."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clitools import Run, run_cli
from reviewpage import signed_in_client
from stagekit import (
    Account,
    Server,
    Upload,
    build_release,
    free_port,
    pypiserver,
    release_digest,
    unique_name,
    wheel_bytes,
)
from workspacekit import python_workspace

from hatch_stage.registry import Principal, Registry, schema


def account(server: Server, names: list[str], role: str = "maintain") -> Account:
    """A user with TOTP and one token covering every one of ``names``."""
    user = unique_name("user")
    secret = server.admin("user", "add", user)["totp_secret"]
    projects = [flag for name in names for flag in ("--project", name)]
    token = server.admin("token", "create", "--user", user, *projects, "--role", role)["token"]
    return Account(user, token, secret)


def three(server: Server, release_factory: Any) -> tuple[list[str], Account, Upload,
                                                           list[dict[str, Any]]]:
    names = [unique_name(role) for role in ("core", "lib", "app")]
    maintainer = account(server, names)
    client = server.client(maintainer.token)
    sessions = [client.stage(name, "1.0", release_factory(name, "1.0")) for name in names]
    return names, maintainer, client, sessions


def reviewed(*sessions: dict[str, Any]) -> list[dict[str, str]]:
    return [{"id": session["id"], "release-digest": release_digest(session)}
            for session in sessions]


def decide(client: Upload, approvals: list[Any], otp: str) -> httpx2.Response:
    return client.post("/upload/2.0/decisions", {"action": "publish", "sessions": approvals},
                       headers={"X-Hatch-Stage-OTP": otp})


def is_live(server: Server, name: str) -> bool:
    return httpx2.get(f"{server.url}/simple/{name}/").status_code == 200


def test_groups_are_made_once_shown_in_order_and_only_to_tokens_covering_them(
        server: Server, release_factory: Any) -> None:
    names, maintainer, client, sessions = three(server, release_factory)
    ids = [session["id"] for session in sessions]

    made = client.post("/upload/2.0/groups", {"sessions": ids})
    assert made.status_code == 201, made.text
    group = made.json()
    assert group["id"].startswith("group-") and group["status"] == "open"
    assert made.headers["location"].endswith(f"/upload/2.0/groups/{group['id']}")
    assert [session["id"] for session in group["sessions"]] == ids
    assert [session["group"]["position"] for session in group["sessions"]] == [0, 1, 2]
    again = client.post("/upload/2.0/groups", {"sessions": ids})
    assert again.status_code == 200 and again.json()["id"] == group["id"]
    assert client.status(sessions[1])["group"]["id"] == group["id"]

    listed = client.http.get("/upload/2.0/groups", params={"status": "open"}).json()
    [brief] = [found for found in listed["groups"] if found["id"] == group["id"]]
    assert [(entry["name"], entry["status"]) for entry in brief["sessions"]] == [
        (name, "open") for name in names]
    assert brief["sessions"][0]["release-digest"] == release_digest(sessions[0])

    # a token that does not cover every member sees no group
    partial = server.client(account(server, names[:1]).token)
    assert partial.http.get(f"/upload/2.0/groups/{group['id']}").status_code == 403
    assert group["id"] not in {found["id"] for found in
                               partial.http.get("/upload/2.0/groups").json()["groups"]}
    assert partial.post("/upload/2.0/groups", {"sessions": ids}).status_code == 403

    for bad in ([], [ids[0], ids[0]], "nope", [1]):
        assert client.post("/upload/2.0/groups", {"sessions": bad}).status_code == 400
    assert client.post("/upload/2.0/groups", {"sessions": ["0" * 36]}).status_code == 404
    assert client.http.get("/upload/2.0/groups/group-" + "0" * 32).status_code == 404

    # grouping some of them again moves them; the earlier group keeps the rest
    moved = client.post("/upload/2.0/groups", {"sessions": ids[1:]}).json()
    assert moved["id"] != group["id"]
    earlier = client.http.get(f"/upload/2.0/groups/{group['id']}").json()
    assert [session["id"] for session in earlier["sessions"]] == ids[:1]

    # a batch is decided in its group's order however the request lists it
    code = maintainer.otp()
    decided = decide(client, list(reversed(reviewed(*sessions[1:]))), code)
    assert decided.status_code == 200, decided.text
    assert [session["id"] for session in decided.json()["sessions"]] == ids[1:]
    assert client.http.get(f"/upload/2.0/groups/{moved['id']}").json()["status"] == "published"
    # only sessions awaiting a decision can be grouped
    refused = client.post("/upload/2.0/groups", {"sessions": ids})
    assert refused.status_code == 409
    assert "is published" in refused.json()["detail"]
    assert any(stage_id in refused.json()["detail"] for stage_id in ids[1:])


def test_a_member_of_a_group_is_not_approved_alone(server: Server, release_factory: Any) -> None:
    """The review page shows a grouped release's group in order, and refuses approving it
    alone while other members await a decision, pointing to the group's approval (so an
    ``app`` never goes live before the ``core`` it pins); so does PEP 694 publish of that one
    session, and a batch that leaves a waiting member out. Nothing goes live and the code is
    not spent. Rejecting a member alone works, and the rest are then approved together."""
    names, maintainer, client, sessions = three(server, release_factory)
    ids = [session["id"] for session in sessions]
    group = client.post("/upload/2.0/groups", {"sessions": ids}).json()["id"]
    http, csrf = signed_in_client(server, maintainer)  # spends the current step's code

    listing = http.get("/review/").text
    assert "group, #3" in listing and group in listing
    page = http.get(f"/review/{ids[2]}")
    assert page.status_code == 200, page.text
    section = page.text.split('id="group"', 1)[1].split("</section>", 1)[0]
    assert group in section and f"hatch-stage approve {group}" in section
    assert [section.index(name) for name in names] == sorted(
        section.index(name) for name in names), "the members in dependency order"
    assert f'href="/review/{ids[0]}"' in section and "(this page)" in section

    code = maintainer.otp(1)
    refused = http.post(f"/review/{ids[2]}", headers={"Origin": server.url}, data={
        "csrf": csrf, "action": "approve", "otp": code,
        "release-digest": release_digest(sessions[2])})
    assert refused.status_code == 409, refused.text
    shown = html.unescape(refused.text)
    assert f"approve the group with one code (hatch-stage approve {group})" in shown
    assert ids[0] in shown and ids[1] in shown and "Nothing was published" in shown
    alone = client.publish(sessions[2], code)
    assert alone.status_code == 409 and group in alone.json()["detail"], alone.text
    partial = decide(client, reviewed(*sessions[:2]), code)
    assert partial.status_code == 409 and ids[2] in partial.json()["detail"], partial.text
    assert not any(is_live(server, name) for name in names)

    # the refusals spent nothing: the same code rejects app from the page
    rejected = http.post(f"/review/{ids[2]}", headers={"Origin": server.url}, data={
        "csrf": csrf, "action": "reject", "otp": code})
    assert rejected.status_code == 303, rejected.text
    # the rest of the group goes live together (another maintainer: the first spent its codes)
    other = account(server, names)
    approved = decide(server.client(other.token), reviewed(*sessions[:2]), other.otp())
    assert approved.status_code == 200, approved.text
    assert [is_live(server, name) for name in names] == [True, True, False]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pypiserver taking identical uploads again (``--overwrite``), as PyPI does."""
    with pypiserver(tmp_path_factory.mktemp("upstream"), "--overwrite") as url:
        yield url


def test_a_batch_with_promotion_is_published_all_or_none(
        server: Server, release_factory: Any, upstream: str) -> None:
    names, maintainer, client, sessions = three(server, release_factory)
    dead = f"http://127.0.0.1:{free_port()}/"
    server.admin("project", "set", names[0], "--upstream-url", f"{upstream}/")
    server.admin("project", "set", names[1], "--upstream-url", dead)  # lib: unreachable
    # app has no upstream: it waits for the promotion of the others all the same

    failed = decide(client, reviewed(*sessions), maintainer.otp())
    assert failed.status_code == 502, failed.text
    problem = failed.json()
    assert problem["code"] == "promotion_failed"
    assert names[1] in problem["detail"] and "none of the 3 sessions" in problem["detail"]
    assert [error["source"] for error in problem["errors"]] == [s["id"] for s in sessions]
    states = [client.status(session) for session in sessions]
    assert [state["status"] for state in states] == ["error"] * 3
    assert dead in states[1]["notices"][0]
    for state in (states[0], states[2]):
        assert f"{names[1]} 1.0 (session {sessions[1]['id']})" in state["notices"][0]
        assert state["history"][-1]["event"] == "error"
    assert not any(is_live(server, name) for name in names), "nothing is public here"
    # core reached the upstream before lib failed (the legacy API has no transaction)
    assert httpx2.get(f"{upstream}/simple/{names[0]}/").status_code == 200

    server.admin("project", "set", names[1], "--upstream-url", f"{upstream}/")
    retried = decide(client, reviewed(*sessions), maintainer.otp(1))
    assert retried.status_code == 200, retried.text
    assert [session["status"] for session in retried.json()["sessions"]] == ["published"] * 3
    assert all(is_live(server, name) for name in names)
    assert all(httpx2.get(f"{upstream}/simple/{name}/").status_code == 200
               for name in names[:2])


def _cli(server: Server, home: Path, token: str, *args: str, cwd: Path) -> Run:
    return run_cli([*args, "--json", "--registry", server.url], cwd=cwd, env={
        "HATCH_STAGE_TOKEN": token, "HOME": str(home), "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"), "HATCH_STAGE_HOME": str(home / "store"),
        "HATCH_STAGE_REGISTRY": None})


def test_one_member_changed_after_review_refuses_the_group_and_none_goes_live(
        server: Server, tmp_path: Path) -> None:
    workspace = python_workspace(tmp_path / "ws")
    names = list(workspace.names.values())
    maintainer = account(server, names)
    home = tmp_path / "home"

    staged = _cli(server, home, maintainer.token, "publish", "--workspace", "--yes",
                  cwd=workspace.root).json()
    assert staged["success"], staged
    group, (core_id, lib_id, app_id) = staged["group"]["id"], staged["group"]["stageIds"]
    viewed = _cli(server, home, maintainer.token, "view", group, cwd=tmp_path).json()
    assert [member["name"] for member in viewed["data"]["members"]] == names

    # after the review, a stage-only token swaps lib's wheel for other (well-formed) bytes
    stager = server.client(account(server, names, "stage").token)
    lib = stager.status({"links": {"session": f"/upload/2.0/sessions/{lib_id}"}})
    wheel = next(name for name in lib["files"] if name.endswith(".whl"))
    swapped = stager.upload_bytes(lib, wheel, wheel_bytes(names[1], "1.0.0", module=" swapped"))
    assert swapped.status_code == 201, swapped.text

    code = maintainer.otp()
    refused = _cli(server, home, maintainer.token, "approve", group, "--otp", code, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.json()["error_code"] == "changed_since_review"
    assert lib_id in refused.json()["error"] and f"{wheel} replaced" in refused.json()["error"]
    assert not any(is_live(server, name) for name in names), "none of the three is live"
    statuses = [server.client(maintainer.token).http.get(f"/upload/2.0/sessions/{stage_id}")
                .json()["status"] for stage_id in (core_id, lib_id, app_id)]
    assert statuses == ["open"] * 3

    # a fresh review of the group, and the code the refusal did not spend publishes all three
    _cli(server, home, maintainer.token, "view", group, cwd=tmp_path)
    approved = _cli(server, home, maintainer.token, "approve", group, "--otp", code,
                    cwd=tmp_path).json()
    assert approved["success"], approved
    assert [result["stageId"] for result in approved["data"]] == [core_id, lib_id, app_id]
    assert all(is_live(server, name) for name in names)


def test_a_database_from_before_groups_gains_them(tmp_path: Path) -> None:
    """A store written before groups (schema 5) opens, keeps its sessions and can group them;
    the step only adds what is missing, so running it again is a no-op."""
    before = schema.UPGRADES.index(schema._groups_v6) + 1  # the version it upgrades from
    assert before == 5
    me = Principal.local()
    artifacts = build_release(tmp_path / "dist", "grouped", "1.0")
    with Registry.open(tmp_path / "data") as registry:
        session = registry.create_session(me, "grouped", "1.0")
        for artifact in artifacts:
            started = registry.start_file(me, session.id, artifact.filename, artifact.size,
                                          {"sha256": artifact.sha256})
            with artifact.path.open("rb") as stream:
                registry.receive_file(me, session.id, started.id, stream)
            registry.complete_file(me, session.id, started.id)
    with sqlite3.connect(tmp_path / "data" / "registry.db") as db:  # back to version 5
        db.execute("drop table session_group_members")
        db.execute("drop table session_groups")
        db.execute(f"update schema_version set version = {before}")
    with Registry.open(tmp_path / "data") as registry:
        group, created = registry.create_group(me, [session.id])
        assert created and [member.id for member in group.sessions] == [session.id]
        assert registry.session(me, session.id).group is not None
    with sqlite3.connect(tmp_path / "data" / "registry.db") as db:
        assert db.execute("select version from schema_version").fetchall() == [
            (schema.SCHEMA_VERSION,)]
        db.execute(f"update schema_version set version = {before}")  # again: a no-op
    with Registry.open(tmp_path / "data") as registry:
        assert registry.group(me, group.id).sessions[0].id == session.id
