"""hatch-stage against a real npm staging registry (Verdaccio 9) and the real npm CLI 12.

Issue 5's must-shows at the level of the npm plugins and the npm client: staging through the
pipeline, approving with one-time passwords, cross-checks with ``npm stage``/``view``/
``install``, the pnpm workspace rewrite round trip, the 403 and reused-code answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from localservers import CUT, CUT_CHUNKED, FaultProxy, fail_always, fail_each
from npm_helpers import (
    manifest_of,
    members,
    pipeline_for,
    stage,
    well_kept,
    well_kept_files,
    write_package,
    write_workspace,
)
from npm_verdaccio import TEAM_SCOPE, Registry, publish_first_version
from secretkinds import checksummed

from hatch_stage.cli import main
from hatch_stage.errors import AuthError, HatchStageError, OtpRequired, UploadError
from hatch_stage.models import Credentials
from hatch_stage.targets.decisions import decide_many
from hatch_stage.targets.npm import NpmStageClient, npm_client

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("npm")]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def client_for(registry: Registry, user: str) -> NpmStageClient:
    return NpmStageClient(registry.url, Credentials(registry.users[user].token, "env"))


def npm_stage_publish(registry: Registry, root: Path, *args: str) -> str:
    """``npm stage publish`` as pat; the stage id npm reports."""
    result = registry.npm(["stage", "publish", "--json", *args], user="pat", cwd=root)
    document = json.loads(result.stdout)
    # npm 12 files the answer under the package name
    entry = document if "stageId" in document else next(iter(document.values()))
    return str(entry["stageId"])


def released(registry: Registry, root: Path, name: str, version: str, **extra: object) -> Path:
    """A package whose first version (1.0.0) is live, with ``version`` now in package.json."""
    write_package(root, well_kept(name, "1.0.0", **extra), well_kept_files(name))
    publish_first_version(registry, root)
    write_package(root, well_kept(name, version, **extra), {})
    return root


def test_staged_by_hatch_stage_shows_in_npm_stage_list(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = released(npm_env, tmp_path / "pkg", "hs-listed", "1.1.0")
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["pat"].token)

    report = stage(root, npm_env.url, tmp_path / "work")

    assert report.score == 100, [c.reason for c in report.checks if not c.passed]
    assert report.auth_source == "env" and report.staged is not None
    stage_id = report.staged.stage_id
    assert UUID.match(stage_id)
    listed = json.loads(npm_env.npm(["stage", "list", "hs-listed", "--json"], user="pat").stdout)
    assert [(item["id"], item["version"], item["tag"]) for item in listed] == [
        (stage_id, "1.1.0", "latest")
    ]
    # staged is not installable: the live packument does not have it yet
    assert "1.1.0" not in npm_env.packument("hs-listed")["versions"]
    with client_for(npm_env, "pat") as client:
        assert client.view(stage_id).version == "1.1.0"
        assert [item.stage_id for item in client.list("hs-listed")] == [stage_id]
    # the same version again is refused before anything is uploaded
    with pytest.raises(UploadError, match=rf"already staged \(stage id {stage_id}\)"):
        stage(root, npm_env.url, tmp_path / "again")


def test_version_and_tag_rules_use_the_registry(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = released(npm_env, tmp_path / "pkg", "hs-rules", "1.0.0")
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["pat"].token)
    with pytest.raises(UploadError, match="already published"):
        stage(root, npm_env.url, tmp_path / "w1")
    write_package(root, well_kept("hs-rules", "2.0.0-rc.1"), {})
    with pytest.raises(UploadError, match="pre-release: pass an explicit tag"):
        stage(root, npm_env.url, tmp_path / "w2")
    write_package(root, well_kept("hs-rules", "0.9.0"), {})
    with pytest.raises(UploadError, match=r"below the highest published version 1\.0\.0"):
        stage(root, npm_env.url, tmp_path / "w3")
    staged = stage(root, npm_env.url, tmp_path / "w4", tag="maintenance")
    assert staged.staged is not None and staged.staged.data["stageId"]
    brand_new = write_package(tmp_path / "new", well_kept("hs-never-published", "1.0.0"),
                              well_kept_files("hs-never-published"))
    with pytest.raises(UploadError, match="does not exist on the registry yet"):
        stage(brand_new, npm_env.url, tmp_path / "w5")


def test_npm_staged_version_approved_with_otp_then_viewable_and_installable(
    npm_env: Registry, tmp_path: Path
) -> None:
    root = released(npm_env, tmp_path / "pkg", "hs-approved", "1.1.0")
    stage_id = npm_stage_publish(npm_env, root, "--tag", "beta")

    with client_for(npm_env, "milo") as client:
        # no code and nobody to ask: a clear refusal at once, not a prompt or a hang
        with pytest.raises(OtpRequired, match="needs a one-time password"):
            client.approve(stage_id, None)
        answer = client.approve(stage_id, npm_env.users["milo"].otp())
    assert "approved" in str(answer.get("message"))

    shown = npm_env.npm(["view", "hs-approved@beta", "version", "dist-tags", "--json"]).stdout
    viewed = json.loads(shown)
    viewed = viewed[0] if isinstance(viewed, list) else viewed  # npm 12 answers with a list
    assert viewed == {"version": "1.1.0", "dist-tags": {"latest": "1.0.0", "beta": "1.1.0"}}
    consumer = write_package(tmp_path / "consumer", {"name": "consumer", "version": "0.0.0",
                                                     "private": True}, {})
    npm_env.npm(["install", "hs-approved@beta", "--no-audit", "--no-fund"], cwd=consumer)
    installed = consumer / "node_modules" / "hs-approved" / "package.json"
    assert json.loads(installed.read_text())["version"] == "1.1.0"


def test_stage_only_token_cannot_approve_but_can_withdraw(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"{TEAM_SCOPE}/widget"
    root = write_package(tmp_path / "widget", well_kept(name, "1.1.0"), well_kept_files(name))
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["stan"].token)
    report = stage(root, npm_env.url, tmp_path / "work", access="public")
    assert report.staged is not None
    stage_id = report.staged.stage_id

    with client_for(npm_env, "stan") as client, pytest.raises(AuthError) as refused:
        client.approve(stage_id, None)
    assert refused.value.code == "forbidden"
    assert f"this token cannot approve staged version {stage_id} (403: unauthorized access)" in (
        str(refused.value))
    with client_for(npm_env, "stan") as client:
        client.reject(stage_id, None)
        assert client.list(name) == []


def test_batch_approval_sends_a_fresh_code_per_call_and_a_reused_code_is_refused(
    npm_env: Registry, tmp_path: Path
) -> None:
    root = released(npm_env, tmp_path / "pkg", "hs-batch", "1.1.0")
    ids = []
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        write_package(root, well_kept("hs-batch", version), {})
        ids.append(npm_stage_publish(npm_env, root))
    maya = npm_env.users["maya"]
    codes: list[str] = []

    def fresh_code() -> str:
        codes.append(maya.otp())
        return codes[-1]

    with client_for(npm_env, "maya") as client:
        results = decide_many(client, "approve", ids[:2], fresh_code)
        assert [result["stageId"] for result in results] == ids[:2]
        # the registry refused the first code on the second call, so a fresh one was asked for
        # (a third only when a step boundary passed while the request was on its way)
        assert 2 <= len(codes) <= 3 and len(set(codes)) == len(codes)
        with pytest.raises(OtpRequired, match=r"refused the one-time password.*already used"):
            client.approve(ids[2], codes[-1])
        assert [item.stage_id for item in client.list("hs-batch")] == [ids[2]]
    assert {"1.1.0", "1.2.0"} <= set(npm_env.packument("hs-batch")["versions"])


def test_pnpm_workspace_ranges_are_rewritten_and_nothing_else_changes(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    workspace = tmp_path / "monorepo"
    write_workspace(
        workspace, "packages:\n  - packages/*\ncatalog:\n  left-pad: ^1.3.0\n"
        "catalogs:\n  react18:\n    react: ^18.2.0\n",
        {"name": "monorepo", "private": True, "catalogs": {"tools": {"typescript": "~5.4.0"}}})
    write_package(workspace / "packages" / "core", {"name": "hs-ws-core", "version": "2.3.4"}, {})
    app = workspace / "packages" / "app"
    write_package(app, well_kept("hs-ws-app", "1.0.0"), well_kept_files("hs-ws-app"))
    publish_first_version(npm_env, app)
    ranges = {
        "dependencies": {"hs-ws-core": "workspace:^", "left-pad": "catalog:",
                         "react": "catalog:react18", "ms": "^2.1.3"},
        "peerDependencies": {"hs-ws-core": "workspace:*"},
        "devDependencies": {"typescript": "catalog:tools"},
    }
    write_package(app, well_kept("hs-ws-app", "1.0.1", **ranges), {})
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["pat"].token)

    report = stage(app, npm_env.url, tmp_path / "work")
    assert report.staged is not None
    packed = next((tmp_path / "work" / "npm-packed").glob("*.tgz"))
    capsys.readouterr()
    assert main(["download", report.staged.stage_id, "--json", "--dest", str(tmp_path / "back"),
                 "--target", "npm", "--npm-registry", npm_env.url, "--project", str(app)]) == 0
    [downloaded] = map(Path, json.loads(capsys.readouterr().out)["data"]["files"])

    assert manifest_of(downloaded)["dependencies"] == {
        "hs-ws-core": "^2.3.4", "left-pad": "^1.3.0", "react": "^18.2.0", "ms": "^2.1.3"}
    assert manifest_of(downloaded)["peerDependencies"] == {"hs-ws-core": "2.3.4"}
    assert manifest_of(downloaded)["devDependencies"] == {"typescript": "~5.4.0"}
    before, after = members(packed), members(downloaded)
    assert list(before) == list(after)
    for name in before:
        if name != "package/package.json":
            assert before[name] == after[name], name
    original = before["package/package.json"][0].decode()
    expected = original
    for old, new in (('"workspace:^"', '"^2.3.4"'), ('"catalog:"', '"^1.3.0"'),
                     ('"catalog:react18"', '"^18.2.0"'), ('"workspace:*"', '"2.3.4"'),
                     ('"catalog:tools"', '"~5.4.0"')):
        expected = expected.replace(old, new)
    assert after["package/package.json"][0].decode() == expected


def test_planted_npm_token_blocks_the_stage_and_is_never_shown(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    planted = checksummed("npm_")  # a well-formed token: its CRC32 checksum holds
    files = {**well_kept_files("hs-leaky"), "index.js": f'const token = "{planted}";\n'}
    root = write_package(tmp_path / "leaky", well_kept("hs-leaky", "1.0.0"), files)
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["pat"].token)
    pipeline = pipeline_for(root)
    report = pipeline.prepare([], tmp_path / "work", dry_run=False)

    assert report.blockers
    assert any(finding.member == "package/index.js" for finding in report.findings)
    assert planted not in json.dumps(report.as_json())
    with pytest.raises(HatchStageError) as blocked:
        pipeline.stage(report, npm_env.url)
    assert "secret finding" in str(blocked.value) and planted not in str(blocked.value)
    assert "hs-leaky" not in npm_env.npm(["stage", "list", "--json"], user="pat").stdout
    # the command line's dry run says the same, and shows the token nowhere either
    capsys.readouterr()
    assert main(["check", "--json", "--target", "npm", "--project", str(root)]) == 1
    shown = capsys.readouterr()
    assert json.loads(shown.out)["error_code"] == "secrets_found"
    assert planted not in shown.out + shown.err


def test_npm_client_reads_registry_and_token_from_npmrc(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_package(tmp_path / "proj", {"name": "hs-any", "version": "1.0.0"}, {})
    host = npm_env.url.removeprefix("http:")
    (project / ".npmrc").write_text(
        f"registry={npm_env.url}\n{host}:_authToken=${{MAYA_NPM_TOKEN}}\n", encoding="utf-8")
    monkeypatch.setenv("MAYA_NPM_TOKEN", npm_env.users["maya"].token)

    with npm_client(None, project, interactive=False) as client:
        assert client.registry == npm_env.url
        assert isinstance(client.list(), list)


def test_cli_approve_without_otp_fails_cleanly_and_with_otp_goes_live(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = released(npm_env, tmp_path / "pkg", "hs-cli", "1.1.0")
    stage_id = npm_stage_publish(npm_env, root)
    flags = ["--json", "--target", "npm", "--npm-registry", npm_env.url, "--project", str(root)]
    milo = npm_env.users["milo"]
    monkeypatch.setenv("NPM_TOKEN", milo.token)
    capsys.readouterr()

    # approving needs a review on this machine first
    assert main(["approve", stage_id, *flags]) != 0
    assert json.loads(capsys.readouterr().out)["error_code"] == "not_reviewed"
    assert main(["view", stage_id, *flags]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["digest"].startswith("sha1:")

    # under pytest stdin is no terminal: nobody to prompt, so a clean refusal
    assert main(["approve", stage_id, *flags]) != 0
    refused = capsys.readouterr()
    assert json.loads(refused.out)["error_code"] == "otp_required"
    assert milo.token not in refused.out + refused.err

    assert main(["approve", stage_id, "--otp", milo.otp(), *flags]) == 0
    approved = json.loads(capsys.readouterr().out)
    assert approved["stageId"] == stage_id and approved["target"] == "npm"
    assert approved["registry"] == npm_env.url
    assert "1.1.0" in npm_env.packument("hs-cli")["versions"]


def test_cli_publish_list_view_speak_the_same_envelopes_for_npm(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = released(npm_env, tmp_path / "pkg", "hs-cli-stage", "1.1.0")
    pat = npm_env.users["pat"]
    monkeypatch.setenv("NPM_TOKEN", pat.token)
    flags = ["--json", "--target", "npm", "--npm-registry", npm_env.url, "--project", str(root)]
    capsys.readouterr()

    assert main(["publish", "--yes", "--tag", "next", *flags]) == 0
    staged = json.loads(capsys.readouterr().out)
    assert staged["success"] is True and staged["target"] == "npm"
    assert (staged["name"], staged["version"], staged["tag"]) == ("hs-cli-stage", "1.1.0", "next")
    assert staged["auth"] == "env" and UUID.match(staged["stageId"])
    assert pat.token not in json.dumps(staged)

    assert main(["list", "hs-cli-stage", *flags]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["stageId"] for item in listed["data"]] == [staged["stageId"]]
    assert main(["view", staged["stageId"], *flags]) == 0
    viewed = json.loads(capsys.readouterr().out)
    assert viewed["stageId"] == staged["stageId"] and viewed["data"]["version"] == "1.1.0"
    assert "1.1.0" not in npm_env.packument("hs-cli-stage")["versions"], "nothing live yet"


def is_tarball(method: str, path: str) -> bool:
    return method == "GET" and path.endswith(("/tarball", ".tgz"))


def test_a_tarball_cut_off_is_fetched_again_and_one_always_cut_fails_clearly(
    npm_env: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Verdaccio once closed a staged tarball's chunked body early under load: a FaultProxy
    in front of it does so on purpose. Cut once, ``download`` and ``view`` fetch it again;
    cut every time, ``download`` fails in one line naming the file and keeps nothing."""
    root = released(npm_env, tmp_path / "pkg", "hs-cut-short", "1.0.1")
    stage_id = npm_stage_publish(npm_env, root)
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["pat"].token)

    def run(*args: str, registry: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*args, "--target", "npm", "--npm-registry", registry,
                       "--project", str(root)])
        out, err = capsys.readouterr()
        return status, out, err

    assert run("download", stage_id, "--dest", str(tmp_path / "direct"),
               registry=npm_env.url)[0] == 0
    [direct] = (tmp_path / "direct").iterdir()
    with FaultProxy(npm_env.url, fail_each(1, CUT_CHUNKED, matching=is_tarball)) as proxy:
        status, out, _ = run("download", stage_id, "--json", "--dest", str(tmp_path / "got"),
                             registry=proxy.url)
    assert status == 0 and len(proxy.cut) == 1
    [got] = map(Path, json.loads(out)["data"]["files"])
    assert got.name == direct.name and got.read_bytes() == direct.read_bytes()

    # view fetches the staged tarball and the published 1.0.0 for its diff
    with FaultProxy(npm_env.url, fail_each(1, CUT, matching=is_tarball)) as proxy:
        status, out, _ = run("view", stage_id, "--json", registry=proxy.url)
    viewed = json.loads(out)["data"]
    assert status == 0 and viewed["diff"] is not None, viewed.get("diff_error")
    assert len(proxy.cut) == 2 and any(path.endswith(".tgz") for _, path, _ in proxy.log)

    with FaultProxy(npm_env.url, fail_always(CUT, matching=is_tarball)) as proxy:
        status, out, err = run("download", stage_id, "--dest", str(tmp_path / "failed"),
                               registry=proxy.url)
    assert status == 1 and out == ""
    [line] = err.strip().splitlines()
    assert f"({direct.name})" in line and "broke off" in line and "nothing was kept" in line
    assert npm_env.users["pat"].token not in line
    assert list((tmp_path / "failed").iterdir()) == []
