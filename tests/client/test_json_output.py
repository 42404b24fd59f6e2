"""Issue 4, must-show 4: the ``--json`` output of every command, on success and on error, is
exactly one JSON document matching its schema (clientkit.SCHEMAS), and no token or TOTP
secret ever appears in any output or in the registry's log.

The leak check runs after every client test (the ``cli`` fixture greps everything each run
printed, and the server log, for every secret the test handed out); here it also runs
explicitly, after commands fed wrong tokens, tokens in URLs and failing codes."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clientkit import Cli, Sample, matches, one_document
from clitools import HATCH_STAGE, Run, environment, run_cli
from stagekit import Server

pytestmark = pytest.mark.slow


def fake_token() -> str:
    return "hst_" + secrets.token_urlsafe(32)


def error(document: dict[str, Any], code: str) -> dict[str, Any]:
    matches(document, "error")
    assert document["error_code"] == code, document
    return document


def test_prepare_commands(cli: Cli, sample: Sample, tmp_path: Path) -> None:
    matches(cli.json("check", cwd=sample.root), "check")
    dry = matches(cli.json("publish", "--dry-run", cwd=sample.root), "publish --dry-run")
    assert dry["registry"] is None  # nothing was contacted
    error(cli.json("check", "--project", str(tmp_path / "missing")), "config_invalid")
    error(cli.json("publish", "--dry-run", "--min-score", "lots", cwd=sample.root),
          "config_invalid")
    # a fresh key, not AWS's documented example (known non-secrets are not findings)
    (sample.root / "src" / "sample_pkg" / "settings.py").write_text(
        f'AWS_SECRET_ACCESS_KEY = "{secrets.token_urlsafe(30)}"\n')
    blocked = cli.json("publish", "--dry-run", cwd=sample.root)
    assert blocked["error_code"] == "secrets_found" and blocked["findings"]
    matches(blocked, "error")


def test_staging_and_review_commands(cli: Cli, registry: Server, sample: Sample,
                                     tmp_path: Path) -> None:
    maintainer = cli.account(sample.name)
    wrong = fake_token()
    cli.secret(wrong)
    url = registry.url
    env = {"HATCH_STAGE_TOKEN": maintainer.token}

    # publish: errors first, then the real thing
    error(cli.json("publish", "--registry", url, "--yes", cwd=sample.root), "not_logged_in")
    refused = error(cli.json("publish", "--registry", url, "--yes", cwd=sample.root,
                             env={"HATCH_STAGE_TOKEN": wrong}), "auth_failed")
    assert "refused the token" in refused["error"]
    host = url.split("//")[1]
    error(cli.json("publish", "--registry", f"http://__token__:{wrong}@{host}", "--yes",
                   cwd=sample.root, env=env), "config_invalid")
    staged = matches(cli.json("publish", "--registry", url, "--yes", cwd=sample.root, env=env),
                     "publish")
    stage_id = staged["stageId"]
    assert staged["auth"] == "env"
    error(cli.json("publish", "--registry", url, "--yes", cwd=sample.root, env=env),
          "already_staged")

    def review(*args: str, **kwargs: Any) -> dict[str, Any]:
        return cli.json(*args, "--registry", url, cwd=tmp_path, **{"env": env, **kwargs})

    assert matches(review("list"), "list")["data"][0]["stageId"] == stage_id
    matches(review("list", sample.name), "list")
    error(review("list", env={"HATCH_STAGE_TOKEN": wrong}), "auth_failed")
    matches(review("view", stage_id), "view")
    error(review("view", "0123456789abcdef"), "not_found")
    error(review("view", "../../etc"), "invalid_stage_id")
    matches(review("download", stage_id, "-d", str(tmp_path / "got")), "download")
    error(review("download", "0123456789abcdef"), "not_found")

    # approve and reject: no code, a wrong code, then real ones (each TOTP step counts once)
    error(review("approve", stage_id), "otp_required")
    error(review("reject", stage_id, "--otp", "000000"), "otp_required")
    approved = matches(review("approve", stage_id, "--otp", maintainer.otp()), "approve")
    assert approved["data"]["status"] == "published"
    error(review("approve", stage_id, "--otp", maintainer.otp(1)), "conflict")
    sample.set_version("1.1.0")
    again = cli.json("publish", "--registry", url, "--yes", cwd=sample.root, env=env)
    rejected = matches(review("reject", again["stageId"], "--otp", maintainer.otp(1)), "reject")
    assert rejected["stageId"] == again["stageId"] and rejected["data"]["status"] == "canceled"

    # the same runs without --json: human output, same secrets never shown
    for args in (("list",), ("view", stage_id), ("approve", stage_id)):
        cli(*args, "--registry", url, env={"HATCH_STAGE_TOKEN": wrong}, cwd=tmp_path)
    cli("publish", "--registry", url, "--yes", cwd=sample.root, env={"HATCH_STAGE_TOKEN": wrong})
    assert cli.secrets and len(cli.runs) > 20
    cli.assert_nothing_leaked()


def test_batch_approval_on_the_embedded_registry(cli: Cli, tmp_path: Path) -> None:
    """Several ids, one approval; the local store's owner needs no code until enrolled."""
    ids = []
    for version in ("1.0.0", "1.1.0"):
        sample = Sample.create(tmp_path / version, version, prefix="batch")
        staged = matches(cli.json("publish", "--yes", cwd=sample.root), "publish")
        assert staged["registry"].startswith("local (")
        ids.append(staged["stageId"])
    for stage_id in ids:
        matches(cli.json("view", stage_id, cwd=tmp_path), "view")
    batch = matches(cli.json("approve", *ids, cwd=tmp_path), "approve (batch)")
    assert [(result["stageId"], result["result"]["status"]) for result in batch["data"]] == [
        (stage_id, "published") for stage_id in ids]


def test_login_and_logout(cli: Cli, registry: Server, sample: Sample, tmp_path: Path) -> None:
    stager = cli.account(sample.name, role="stage")
    wrong = fake_token()
    cli.secret(wrong)
    url = registry.url
    error(cli.json("login", "--registry", url, "--token-stdin", input=wrong + "\n",
                   cwd=tmp_path), "auth_failed")
    error(cli.json("login", "--registry", url, "--token-stdin", close_stdin=True,
                   cwd=tmp_path), "config_invalid")
    error(cli.json("login", "--registry", url, cwd=tmp_path), "config_invalid")  # no TTY
    error(cli.json("login", "--token-stdin", input=stager.token, cwd=tmp_path),
          "config_invalid")  # which registry?
    matches(cli.json("login", "--registry", url, "--token-stdin", input=stager.token + "\n",
                     cwd=tmp_path), "login")
    assert matches(cli.json("logout", "--registry", url, cwd=tmp_path), "logout")["data"] == {
        "removed": True}
    assert cli.json("logout", "--registry", url, cwd=tmp_path)["data"] == {"removed": False}


def test_admin_commands(cli: Cli, tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "admin-data")]
    user = matches(cli.json("admin", "user", "add", "carol", *data), "admin")["data"]
    token = matches(cli.json("admin", "token", "create", "--user", "carol", "--project", "p",
                             "--role", "maintain", *data), "admin")["data"]["token"]
    # shown once, by design, at creation; never again
    cli.runs.clear()
    cli.secret(user["totp_secret"], token)
    for args in (("user", "list"), ("token", "list"), ("project", "list"),
                 ("session", "list"), ("publisher", "list")):
        matches(cli.json("admin", *args, *data), "admin")
    error(cli.json("admin", "token", "create", "--user", "nobody", "--project", "p",
                   "--role", "stage", *data), "not_found")
    cli.assert_nothing_leaked()


def test_serve_announces_itself_with_one_document(cli: Cli, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [HATCH_STAGE, "serve", "--port", "0", "--data", str(tmp_path / "served"), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=environment(cli.env))
    assert process.stdout is not None
    text, deadline = "", time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            text += process.stdout.readline()
            try:
                announced = json.loads(text)
                break
            except json.JSONDecodeError:
                assert process.poll() is None, process.communicate()
        else:
            raise AssertionError(f"serve printed no document: {text}")
        assert httpx2.get(announced["data"]["url"] + "/_/health", timeout=5).status_code == 200
    finally:
        process.terminate()
        rest, log = process.communicate(timeout=20)
    run = Run(0, text + rest, log)
    cli.record("serve", run.stdout + run.stderr)
    document = matches(one_document(run), "serve")
    assert document["data"]["pid"] == process.pid


@pytest.mark.parametrize(("args", "problem"), [
    (("approve", "--json"), "the following arguments are required: STAGE_ID"),
    (("list", "--bogus", "--json"), "unrecognized arguments: --bogus"),
    (("publish", "--target", "ruby", "--json"), "invalid choice: 'ruby'"),
    (("view", "--jso"), "the following arguments are required: STAGE_ID"),  # abbreviated
    (("--json",), "the following arguments are required: COMMAND"),
])
def test_a_usage_mistake_under_json_is_the_error_envelope(
    tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    """Issue 11, item 10: argparse's usage text on stderr is no answer for a script."""
    done = run_cli(list(args), cwd=tmp_path)
    assert done.returncode == 2
    document = error(one_document(done), "usage_error")
    assert problem in document["error"]
    assert (document["target"], document["registry"]) == (None, None)
    assert done.stderr == ""

    # without --json, the usage and the error go to stderr, as before
    human = run_cli([arg for arg in args if not arg.startswith("--js")], cwd=tmp_path)
    assert (human.returncode, human.stdout) == (2, "")
    assert human.stderr.startswith("usage: hatch-stage") and problem in human.stderr
