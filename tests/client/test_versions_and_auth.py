"""The version rules, checked against the live index before anything is sent, and the auth
chain of publish: HATCH_STAGE_TOKEN, then the keyring (``hatch-stage login``), then .pypirc,
each proven by the user the registry recorded as the session's actor."""

from __future__ import annotations

from pathlib import Path

import pytest
from clientkit import Cli, Sample, matches
from stagekit import Server

pytestmark = pytest.mark.slow


def test_version_rules_against_the_registry(cli: Cli, registry: Server, sample: Sample) -> None:
    maintainer = cli.account(sample.name)
    env = {"HATCH_STAGE_TOKEN": maintainer.token}

    def publish(version: str, *flags: str) -> dict[str, object]:
        sample.set_version(version)
        return cli.json("publish", "--registry", registry.url, "--yes", *flags,
                        cwd=sample.root, env=env)

    first = matches(publish("1.0.0"), "publish")
    cli.json("view", str(first["stageId"]), "--registry", registry.url, cwd=sample.root, env=env)
    matches(cli.json("approve", str(first["stageId"]), "--otp", maintainer.otp(), "--registry",
                     registry.url, cwd=sample.root, env=env), "approve")

    refusals = {
        ("1.0",): ("already_published", f"{sample.name} 1.0 is already published"),
        ("1.1.0rc1",): ("prerelease_needs_tag", "pass an explicit --tag"),
        ("0.9.0",): ("version_below_latest", "below the highest published version 1.0.0"),
    }
    for (version,), (code, message) in refusals.items():
        refused = matches(publish(version), "error")
        assert refused["error_code"] == code and message in str(refused["error"]), refused
    assert cli.json("list", sample.name, "--registry", registry.url, cwd=sample.root,
                    env=env)["data"] == []  # nothing was staged by the refused runs

    assert matches(publish("1.1.0rc1", "--tag", "next"), "publish")["tag"] == "next"
    matches(publish("0.9.0", "--allow-lower"), "publish")
    matches(publish("0.8.0", "--tag", "legacy"), "publish")


def test_publish_takes_the_first_credentials_of_the_chain(cli: Cli, registry: Server,
                                                          sample: Sample, tmp_path: Path) -> None:
    from_env, from_keyring, from_pypirc = (cli.account(sample.name, "stage") for _ in range(3))
    cli.home.joinpath(".pypirc").write_text(
        "[distutils]\nindex-servers = elsewhere stage\n\n"
        f"[elsewhere]\nrepository = https://upload.example.invalid/legacy/\n"
        f"username = __token__\npassword = hst_not_this_one_{'x' * 30}\n\n"
        f"[stage]\nrepository = {registry.url}/legacy/\nusername = __token__\n"
        f"password = {from_pypirc.token}\n")
    cli.secret(f"hst_not_this_one_{'x' * 30}")
    logged_in = cli.json("login", "--registry", registry.url + "/", "--token-stdin",
                         input=from_keyring.token + "\n", cwd=tmp_path)
    matches(logged_in, "login")

    def publish(version: str, env: dict[str, str | None]) -> tuple[str, str]:
        sample.set_version(version)
        staged = matches(cli.json("publish", "--registry", registry.url, "--yes",
                                  cwd=sample.root, env=env), "publish")
        return str(staged["auth"]), str(staged["data"]["actor"])

    assert publish("1.0.0", {"HATCH_STAGE_TOKEN": from_env.token}) == ("env", from_env.user)
    assert publish("1.1.0", {}) == ("keyring", from_keyring.user)
    # a wrong token in the environment is used (and refused), never skipped for the keyring
    cli.secret(wrong := f"hst_wrong_{'y' * 34}")
    refused = cli.json("publish", "--registry", registry.url, "--yes", cwd=sample.root,
                       env={"HATCH_STAGE_TOKEN": wrong})
    assert matches(refused, "error")["error_code"] == "auth_failed"

    assert cli.json("logout", "--registry", registry.url, cwd=tmp_path)["data"] == {
        "removed": True}
    assert publish("1.2.0", {}) == ("pypirc", from_pypirc.user)
    cli.home.joinpath(".pypirc").unlink()
    sample.set_version("1.3.0")
    nothing = matches(cli.json("publish", "--registry", registry.url, "--yes", cwd=sample.root),
                      "error")
    assert nothing["error_code"] == "not_logged_in" and "HATCH_STAGE_TOKEN" in nothing["error"]
