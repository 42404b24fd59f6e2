"""Issue 4, must-show 5: publish through a fault-injecting proxy in front of the real registry,
with the client's real retry constants (hatch_stage.http: 3 retries, 0.5 s doubling).

Every request answered 503 twice still stages; a registry that keeps failing (503s, or
connections reset) fails publish with a clear error well within a bound; a publish cut off
mid-upload leaves an open session that cannot be approved, and the next publish resumes it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from clientkit import Cli, Sample, matches
from localservers import (
    CUT,
    CUT_CHUNKED,
    FORWARD,
    GARBLED,
    LOST,
    RESET,
    UNAVAILABLE,
    FaultProxy,
    fail_always,
    fail_each,
)
from stagekit import Account, Server

from hatch_stage import http

pytestmark = pytest.mark.slow

#: the longest a request may keep failing: every backoff wait plus time for the attempts
BOUND = sum(http.BACKOFF * 2**attempt for attempt in range(http.RETRIES)) + 10


def is_upload(method: str, path: str) -> bool:
    return method == "POST" and path.endswith("/bytes")


def publish(cli: Cli, sample: Sample, registry: str, account: Account,
            ) -> tuple[dict[str, Any], float]:
    """``publish --json`` to ``registry``: its document, and how long it took."""
    started = time.monotonic()
    document = cli.json("publish", "--registry", registry, "--yes", cwd=sample.root,
                        env={"HATCH_STAGE_TOKEN": account.token})
    return document, time.monotonic() - started


def open_sessions(cli: Cli, registry: Server, sample: Sample, account: Account,
                  ) -> list[dict[str, Any]]:
    listed = cli.json("list", sample.name, "--registry", registry.url, cwd=sample.root,
                      env={"HATCH_STAGE_TOKEN": account.token})
    return [item["registry"] for item in matches(listed, "list")["data"]]


def test_every_request_failing_twice_still_stages(cli: Cli, registry: Server,
                                                  sample: Sample) -> None:
    maintainer = cli.account(sample.name)
    with FaultProxy(registry.url, fail_each(2)) as proxy:
        staged, _ = publish(cli, sample, proxy.url, maintainer)
    matches(staged, "publish")
    assert {entry["status"] for entry in staged["data"]["files"].values()} == {"completed"}
    kinds = {(method, path) for method, path, _ in proxy.log}
    assert any(is_upload(*kind) for kind in kinds) and len(kinds) >= 6
    for kind in kinds:  # each request was refused twice, then went through
        actions = [action for *request, action in proxy.log if tuple(request) == kind]
        assert actions[:3] == [UNAVAILABLE, UNAVAILABLE, FORWARD], kind
        assert set(actions[3:]) <= {FORWARD}  # e.g. the second file's upload start


@pytest.mark.parametrize("action", [UNAVAILABLE, RESET])
def test_a_registry_that_keeps_failing_fails_fast_and_clearly(
        cli: Cli, registry: Server, sample: Sample, action: str) -> None:
    maintainer = cli.account(sample.name)
    with FaultProxy(registry.url, fail_always(action)) as proxy:
        failed, took = publish(cli, sample, proxy.url, maintainer)
    matches(failed, "error")
    assert took < BOUND, f"publish took {took:.1f}s"
    assert len(proxy.log) == http.RETRIES + 1  # the first request, retried, then given up
    if action == UNAVAILABLE:
        assert failed["error_code"] == "registry_unavailable"
        assert "kept failing (503" in failed["error"] and "try again later" in failed["error"]
    else:
        assert failed["error_code"] == "registry_error"
        assert "after 4 attempts; check the registry URL and your network" in failed["error"]
    assert open_sessions(cli, registry, sample, maintainer) == []


@pytest.mark.parametrize("action", [UNAVAILABLE, RESET])
def test_an_upload_cut_off_leaves_an_open_session_the_next_publish_completes(
        cli: Cli, registry: Server, sample: Sample, action: str) -> None:
    maintainer = cli.account(sample.name)
    with FaultProxy(registry.url, fail_always(action, matching=is_upload)) as proxy:
        failed, took = publish(cli, sample, proxy.url, maintainer)
    matches(failed, "error")
    assert took < BOUND
    assert "upload" in failed["error"]

    [session] = open_sessions(cli, registry, sample, maintainer)
    assert session["status"] == "open"
    assert [entry["status"] for entry in session["files"].values()] == ["pending"]
    # it cannot be approved by mistake: the registry names what is missing
    env = {"HATCH_STAGE_TOKEN": maintainer.token}
    cli.json("view", session["id"], "--registry", registry.url, cwd=sample.root, env=env)
    refused = cli.json("approve", session["id"], "--otp", maintainer.otp(), "--registry",
                       registry.url, cwd=sample.root, env=env)
    assert refused["error_code"] == "files_not_ready"
    assert "is pending" in refused["error"]

    resumed, _ = publish(cli, sample, registry.url, maintainer)
    matches(resumed, "publish")
    assert resumed["stageId"] == session["id"]
    assert sorted(resumed["data"]["files"]) == sorted(f["filename"] for f in resumed["files"])
    assert {entry["status"] for entry in resumed["data"]["files"].values()} == {"completed"}


def test_review_rides_out_503s_but_an_approval_is_sent_once(cli: Cli, registry: Server,
                                                           sample: Sample) -> None:
    maintainer = cli.account(sample.name)
    staged, _ = publish(cli, sample, registry.url, maintainer)
    stage_id = staged["stageId"]
    env = {"HATCH_STAGE_TOKEN": maintainer.token}
    with FaultProxy(registry.url, fail_each(2)) as proxy:
        for args in (("view", stage_id), ("download", stage_id, "-d", str(sample.root / "got"))):
            matches(cli.json(*args, "--registry", proxy.url, cwd=sample.root, env=env),
                    args[0])
    assert sorted(path.name for path in (sample.root / "got").iterdir()) == sorted(
        file["filename"] for file in staged["files"])

    # the approval carries a one-time password: after a 503 it is not sent again
    with FaultProxy(registry.url, fail_always(UNAVAILABLE)) as proxy:
        failed = cli.json("approve", stage_id, "--otp", maintainer.otp(), "--registry",
                          proxy.url, cwd=sample.root, env=env)
    assert [method for method, _, _ in proxy.log] == ["POST"]
    matches(failed, "error")
    assert failed["error_code"] == "registry_unavailable" and "not sent again" in failed["error"]
    approved = cli.json("approve", stage_id, "--otp", maintainer.otp(), "--registry",
                        registry.url, cwd=sample.root, env=env)
    assert matches(approved, "approve")["data"]["status"] == "published"


def test_a_batch_approval_lost_behind_a_5xx_says_to_check_before_trying_again(
        cli: Cli, registry: Server, sample: Sample) -> None:
    """Issue 11, item 11: the gateway loses the registry's answer to a batch approval, which
    the registry applied. "Try again later" would be wrong advice: the message says that it
    may have been applied and how to check, and the approval was sent once."""
    maintainer = cli.account(sample.name)
    ids = []
    for version in ("1.0.0", "1.1.0"):
        sample.set_version(version)
        ids.append(matches(publish(cli, sample, registry.url, maintainer)[0], "publish")["stageId"])

    for stage_id in ids:  # reviewed: approve is bound to what view showed
        cli.json("view", stage_id, "--registry", registry.url, cwd=sample.root,
                 env={"HATCH_STAGE_TOKEN": maintainer.token})

    def decisions(method: str, path: str) -> bool:
        return method == "POST" and path.endswith("/decisions")

    with FaultProxy(registry.url, fail_always(LOST, matching=decisions)) as proxy:
        failed = cli.json("approve", *ids, "--otp", maintainer.otp(), "--registry", proxy.url,
                          cwd=sample.root, env={"HATCH_STAGE_TOKEN": maintainer.token})
    matches(failed, "error")
    assert failed["error_code"] == "registry_unavailable"
    assert "may have done it" in failed["error"] and "`hatch-stage list`" in failed["error"]
    assert "try again later" not in failed["error"]
    assert [(method, action) for method, _, action in proxy.log] == [("POST", LOST)]
    # it had: both are live, nothing is left to approve
    assert open_sessions(cli, registry, sample, maintainer) == []


def is_file_download(method: str, path: str) -> bool:
    return method == "GET" and path.endswith((".whl", ".tar.gz"))


@pytest.mark.parametrize("action", [CUT, CUT_CHUNKED])
def test_a_download_cut_off_once_is_fetched_again_whole(cli: Cli, registry: Server,
                                                        sample: Sample, action: str) -> None:
    """A file's body ends early (Content-Length or chunked): ``download`` and ``view`` fetch
    it again from the start, and what lands on disk is the staged file, byte for byte."""
    maintainer = cli.account(sample.name)
    staged, _ = publish(cli, sample, registry.url, maintainer)
    stage_id = staged["stageId"]
    env = {"HATCH_STAGE_TOKEN": maintainer.token}
    cli.json("download", stage_id, "-d", str(sample.root / "direct"), "--registry",
             registry.url, cwd=sample.root, env=env)
    got = sample.root / "got"
    with FaultProxy(registry.url, fail_each(1, action, matching=is_file_download)) as proxy:
        matches(cli.json("download", stage_id, "-d", str(got), "--registry", proxy.url,
                         cwd=sample.root, env=env), "download")
    downloads = [(path, action) for method, path, action in proxy.log
                 if is_file_download(method, path)]
    assert len(downloads) == 2 * len(staged["files"]) and len(proxy.cut) == len(staged["files"])
    assert all(0 < sent < 4097 for sent in proxy.cut)
    assert sorted(path.name for path in got.iterdir()) == sorted(
        file["filename"] for file in staged["files"])
    for path in got.iterdir():
        assert path.read_bytes() == (sample.root / "direct" / path.name).read_bytes()

    # view downloads the staged files for its diff: cut once, the diff is still there
    with FaultProxy(registry.url, fail_each(1, action, matching=is_file_download)) as proxy:
        viewed = cli.json("view", stage_id, "--registry", proxy.url, cwd=sample.root, env=env)
    assert proxy.cut and viewed["data"]["diff"] is not None, viewed["data"].get("diff_error")


def test_a_download_cut_off_every_time_fails_clearly_and_keeps_nothing(
        cli: Cli, registry: Server, sample: Sample) -> None:
    maintainer = cli.account(sample.name)
    staged, _ = publish(cli, sample, registry.url, maintainer)
    stage_id = staged["stageId"]
    env = {"HATCH_STAGE_TOKEN": maintainer.token}
    got = sample.root / "got"
    with FaultProxy(registry.url, fail_always(CUT_CHUNKED, matching=is_file_download)) as proxy:
        started = time.monotonic()
        failed = cli("download", stage_id, "-d", str(got), "--registry", proxy.url,
                     cwd=sample.root, env=env)
        took = time.monotonic() - started
        as_json = cli.json("download", stage_id, "-d", str(got), "--registry", proxy.url,
                           cwd=sample.root, env=env)
    assert took < BOUND
    [cut_path] = {path for method, path, _ in proxy.log if is_file_download(method, path)}
    filename = cut_path.rsplit("/", 1)[-1]
    assert len(proxy.cut) == 2 * (http.RETRIES + 1)  # each run: the request, then 3 retries
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    [line] = failed.stderr.strip().splitlines()
    assert f"could not download {filename}" in line and "broke off" in line
    assert "nothing was kept" in line and maintainer.token not in line
    matches(as_json, "error")
    assert as_json["error_code"] == "registry_error" and filename in as_json["error"]
    assert [path.name for path in got.iterdir()] == []  # no partial file, no .part either


def test_an_answer_that_cannot_be_decoded_fails_clearly_and_keeps_nothing(
        cli: Cli, registry: Server, sample: Sample) -> None:
    """A proxy labels the file gzip when it is not: tried again within the bounded retries,
    then one line saying so, no traceback, nothing on disk."""
    maintainer = cli.account(sample.name)
    staged, _ = publish(cli, sample, registry.url, maintainer)
    got = sample.root / "got"
    with FaultProxy(registry.url, fail_always(GARBLED, matching=is_file_download)) as proxy:
        failed = cli("download", staged["stageId"], "-d", str(got), "--registry", proxy.url,
                     cwd=sample.root, env={"HATCH_STAGE_TOKEN": maintainer.token})
    garbled = [path for method, path, action in proxy.log if action == GARBLED]
    assert len(garbled) == http.RETRIES + 1
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    [line] = failed.stderr.strip().splitlines()
    assert "could not be decoded as its Content-Encoding says" in line
    assert garbled[0].rsplit("/", 1)[-1] in line and maintainer.token not in line
    assert [path.name for path in got.iterdir()] == []
