"""Issue 4, must-show 2: a CI-like job stages through trusted publishing (its OIDC token comes
from a local stand-in for GitHub's token service, signed by the test issuer's key); a
maintainer lists, views and downloads it (identical bytes), cannot approve without a code
under --json (fast, no prompt, no hang), approves with a TOTP code; pip installs the release
from the live index. The token minted for CI can stage but never approve."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clientkit import Cli, Sample, matches
from localservers import OidcEndpoint
from stagekit import GITHUB_ISSUER, Server, github_jwt
from terminal import on_terminal

pytestmark = pytest.mark.slow


def pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The venv's real pip, with no cache and no questions."""
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", *args, "--no-cache-dir",
         "--disable-pip-version-check", "--no-input"],
        capture_output=True, text=True, timeout=180)


def approve_without_code(cli: Cli, stage_id: str, env: dict[str, str], *flags: str,
                         close_stdin: bool) -> dict[str, Any]:
    started = time.monotonic()
    run = cli("approve", stage_id, *flags, env=env, close_stdin=close_stdin, timeout=30)
    assert time.monotonic() - started < 15, "approve waited for a code nobody can type"
    assert run.returncode == 1
    if "--json" not in flags:
        assert "pass --otp CODE" in run.stderr and "Traceback" not in run.stderr, run.stderr
        return {}
    return dict(matches(run.json(), "error"))


def test_ci_stages_with_trusted_publishing_and_a_maintainer_approves(
        cli: Cli, registry: Server, sample: Sample, issuer_key: tuple[Any, Path], venv: Path,
        tmp_path: Path) -> None:
    key, jwks = issuer_key
    repository = f"octo/{sample.name}"
    registry.admin("publisher", "add", "--project", sample.name, "--issuer", GITHUB_ISSUER,
                   "--repository", repository, "--workflow", "release.yml",
                   "--environment", "release", "--jwks", str(jwks))
    maintainer = cli.account(sample.name)
    request_token = "ghs_request_" + "r" * 30
    cli.secret(request_token)
    kept, fetched = tmp_path / "kept", tmp_path / "fetched"

    # -- CI: no token anywhere, only the ambient identity ------------------------------------
    with OidcEndpoint(key, repository, request_token) as oidc:
        staged = cli.json("publish", "--registry", registry.url, "--yes", "--out", str(kept),
                          cwd=sample.root, env=oidc.ci_environment())
        cli.secret(*(token for _, token in oidc.issued))
        matches(staged, "publish")
        assert staged["auth"] == "oidc"
        assert [audience for audience, _ in oidc.issued] == ["hatch-stage"]
        # the other commands never use the CI identity: they need a maintainer's token
        refused = cli.json("approve", staged["stageId"], "--otp", maintainer.otp(),
                           "--registry", registry.url, env=oidc.ci_environment(),
                           cwd=tmp_path)
        assert len(oidc.issued) == 1
    matches(refused, "error")
    assert refused["error_code"] == "not_logged_in" and "can only stage" in refused["error"]
    stage_id = staged["stageId"]
    assert staged["data"]["actor"].startswith("publisher:")
    assert staged["data"]["status"] == "open"
    built = {path.name: path.read_bytes() for path in kept.iterdir()}
    assert sorted(built) == sorted(file["filename"] for file in staged["files"])

    # -- the maintainer reviews ----------------------------------------------------------------
    env = {"HATCH_STAGE_TOKEN": maintainer.token}
    listed = matches(cli.json("list", sample.name, "--registry", registry.url, env=env,
                              cwd=tmp_path), "list")
    assert [(item["stageId"], item["version"], item["status"]) for item in listed["data"]] == [
        (stage_id, "1.0.0", "open")]
    viewed = matches(cli.json("view", stage_id, "--registry", registry.url, env=env,
                              cwd=tmp_path), "view")
    assert viewed["stageId"] == stage_id and viewed["data"]["name"] == sample.name
    files = viewed["data"]["registry"]["files"]
    assert {name: entry["status"] for name, entry in files.items()} == dict.fromkeys(
        built, "completed")
    downloaded = matches(cli.json("download", stage_id, "-d", str(fetched), "--registry",
                                  registry.url, env=env, cwd=tmp_path), "download")
    assert sorted(Path(path).name for path in downloaded["data"]["files"]) == sorted(built)
    assert {path.name: path.read_bytes() for path in fetched.iterdir()} == built

    # the preview installs before anything is public; the live index does not have it yet
    preview = tmp_path / "preview"
    got = pip(venv, "download", "--no-deps", "-d", str(preview), "--index-url",
              staged["preview_url"], f"{sample.name}==1.0.0")
    assert got.returncode == 0, got.stdout + got.stderr
    assert {path.name: path.read_bytes() for path in preview.iterdir()}.items() <= built.items()
    live = f"{registry.url}/simple/"
    early = pip(venv, "install", "--index-url", live, f"{sample.name}==1.0.0")
    assert early.returncode != 0 and "No matching distribution" in early.stderr

    # -- approving needs a code: never a prompt or a hang where nobody can type --------------
    for flags, closed in ((("--json",), True), (("--json",), False), ((), True), (("-y",), False)):
        refusal = approve_without_code(cli, stage_id, env, "--registry", registry.url, *flags,
                                       close_stdin=closed)
        if refusal:
            assert refusal["error_code"] == "otp_required" and "--otp" in refusal["error"]

    # the token CI was given can stage, never approve (whatever the code)
    minted = httpx2.post(f"{registry.url}/_/oidc/mint-token",
                         json={"token": github_jwt(key, repository)}).json()["token"]
    cli.secret(minted)
    forbidden = cli.json("approve", stage_id, "--otp", "000000", "--registry", registry.url,
                         env={"HATCH_STAGE_TOKEN": minted}, cwd=tmp_path)
    matches(forbidden, "error")
    assert forbidden["error_code"] == "forbidden"
    assert forbidden["error"].startswith(f"this token cannot approve stage {stage_id}")

    approved = cli.json("approve", stage_id, "--otp", maintainer.otp(), "--registry",
                        registry.url, env=env, cwd=tmp_path)
    matches(approved, "approve")
    assert approved["stageId"] == stage_id and approved["data"]["status"] == "published"
    assert cli.json("list", sample.name, "--registry", registry.url, env=env,
                    cwd=tmp_path)["data"] == []

    # -- the release is live: pip installs it --------------------------------------------------
    installed = pip(venv, "install", "--index-url", live, f"{sample.name}==1.0.0")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    cli.record("pip install", installed.stdout + installed.stderr)
    greeting = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import importlib.metadata as m, sample_pkg; "
         f"print(m.version('{sample.name}'), sample_pkg.greet('ci'))"],
        capture_output=True, text=True, timeout=60)
    assert greeting.stdout.split() == ["1.0.0", "hello,", "ci"], greeting.stderr


def test_approve_prompts_on_a_terminal(cli: Cli, registry: Server, tmp_path: Path) -> None:
    """Two ids, one command, one prompt: hatch-stage serve decides the batch in one request
    under one code (its /upload/2.0/decisions extension), so the code is spent once."""
    samples = [Sample.create(tmp_path / version, version) for version in ("1.0.0", "1.1.0")]
    ids = []
    for sample in samples:
        maintainer = cli.account(sample.name)
        staged = cli.json("publish", "--registry", registry.url, "--yes", cwd=sample.root,
                          env={"HATCH_STAGE_TOKEN": maintainer.token})
        ids.append(staged["stageId"])
    # one maintainer of both projects
    wide = cli.account(samples[0].name)
    token = registry.admin("token", "create", "--user", wide.user, "--project",
                           samples[0].name, "--project", samples[1].name,
                           "--role", "maintain")["token"]
    cli.secret(token)
    for stage_id in ids:  # the maintainer reviews each; approve binds to what view showed
        matches(cli.json("view", stage_id, "--registry", registry.url,
                         env={"HATCH_STAGE_TOKEN": token}), "view")
    status, screen = on_terminal(cli, ["approve", *ids, "--registry", registry.url],
                                 {"HATCH_STAGE_TOKEN": token}, [wide.otp(), wide.otp(1)])
    assert status == 0, screen
    assert screen.count("one-time password to approve:") == 1
    assert "a fresh one-time password" not in screen
    assert wide.otp() not in screen  # typed, never echoed
    for stage_id in ids:
        assert f"approved: now live {stage_id}" in screen
    for stage_id in ids:
        viewed = cli.json("view", stage_id, "--registry", registry.url,
                          env={"HATCH_STAGE_TOKEN": token})
        assert viewed["data"]["status"] == "published"
