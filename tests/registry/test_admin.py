"""``hatch-stage admin`` and ``hatch-stage serve`` as real command lines: JSON envelopes,
secrets shown once and stored only hashed, and nothing secret in the server's output."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import httpx2
import pyotp
from stagekit import HATCH_STAGE, Server, read_announcement, unique_name

from hatch_stage.registry.schema import SCHEMA_VERSION


def admin(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([HATCH_STAGE, "admin", *args, "--data", str(data), "--json"],
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_admin_commands_speak_the_json_envelope(tmp_path: Path) -> None:
    data = tmp_path / "registry"
    added = admin(data, "user", "add", "alice")
    assert added.returncode == 0, added.stderr
    envelope = json.loads(added.stdout)
    assert {"success", "target", "registry", "data"} <= set(envelope)
    assert envelope["success"] is True and envelope["target"] == "python"
    assert envelope["registry"] == str(data.resolve())
    secret = envelope["data"]["totp_secret"]
    assert envelope["data"]["totp_uri"].startswith("otpauth://totp/hatch-stage:alice?")
    assert len(pyotp.TOTP(secret).now()) == 6

    created = json.loads(admin(data, "token", "create", "--user", "alice", "--project",
                               "Demo_Pkg", "--role", "maintain").stdout)["data"]
    token = created["token"]
    assert token.startswith("hst_") and len(token) >= 40
    assert created["projects"] == ["demo-pkg"] and created["role"] == "maintain"

    # shown once: no listing shows secrets, and the database holds only a hash
    listed = admin(data, "token", "list").stdout + admin(data, "user", "list").stdout
    assert token not in listed and secret not in listed
    assert json.loads(admin(data, "token", "list").stdout)["data"][0]["active"] is True
    assert token.encode() not in (data / "registry.db").read_bytes()
    with sqlite3.connect(data / "registry.db") as db:
        assert db.execute("select version from schema_version").fetchall() == [(SCHEMA_VERSION,)]

    duplicate = admin(data, "user", "add", "alice")
    assert duplicate.returncode != 0
    failure = json.loads(duplicate.stdout)
    assert failure["success"] is False and "already exists" in failure["error"]
    assert admin(data, "token", "create", "--user", "nobody", "--project", "x",
                 "--role", "stage").returncode != 0

    revoked = json.loads(admin(data, "token", "revoke", str(created["id"])).stdout)
    assert revoked["data"] == {"id": created["id"], "revoked": True}
    assert json.loads(admin(data, "token", "list").stdout)["data"][0]["active"] is False

    policy = json.loads(admin(data, "project", "set", "demo-pkg", "--require-staging",
                              "--upstream-url", "https://upload.example/legacy/",
                              "--upstream-token-stdin", stdin="pypi-AgEIcHlwaS5vcmc\n").stdout)
    assert policy["data"]["require_staging"] is True
    assert policy["data"]["upstream_token_set"] is True
    shown = admin(data, "project", "show", "demo-pkg").stdout
    assert "pypi-AgEIcHlwaS5vcmc" not in shown and json.loads(shown)["data"]["require_staging"]
    assert json.loads(admin(data, "project", "list").stdout)["data"][0]["name"] == "demo-pkg"

    publisher = json.loads(admin(
        data, "publisher", "add", "--project", "demo-pkg", "--issuer",
        "https://token.actions.githubusercontent.com", "--repository", "octo/demo",
        "--workflow", "release.yml", "--jwks", str(tmp_path / "jwks.json")).stdout)["data"]
    assert json.loads(admin(data, "publisher", "list").stdout)["data"] == [publisher]
    assert admin(data, "publisher", "add", "--project", "demo-pkg", "--issuer", "http://x",
                 "--repository", "octo/demo", "--workflow", "release.yml",
                 "--jwks", "k.json").returncode != 0
    assert json.loads(admin(data, "publisher", "remove", str(publisher["id"])).stdout)["success"]
    assert json.loads(admin(data, "session", "list").stdout)["data"] == {"sessions": [],
                                                                         "total": 0}

    human = subprocess.run([HATCH_STAGE, "admin", "user", "add", "bob", "--data", str(data)],
                           capture_output=True, text=True, timeout=60)
    assert human.returncode == 0 and "not shown again" in human.stdout


def test_serve_json_announces_once_and_logs_no_secrets(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = subprocess.Popen([HATCH_STAGE, "serve", "--port", "0", "--data", str(data),
                                "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        announced = read_announcement(process)
        assert announced["success"] is True and announced["target"] == "python"
        url = announced["data"]["url"]
        assert announced["registry"] == url and url.startswith("http://127.0.0.1:")

        server = Server(data, None)
        name = unique_name("quiet")
        account = server.maintainer(name)
        client = httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {account.token}"})
        session = client.post("/upload/2.0/", json={"meta": {"api-version": "2.0"},
                                                    "name": name, "version": "1.0"},
                              headers={"Content-Type": "application/vnd.pypi.upload.v2+json"})
        assert session.status_code == 201
        stage = session.json()["links"]["stage"]
        assert httpx2.get(stage).status_code == 200
        assert httpx2.get(f"{url}/").json()["upload"] == f"{url}/upload/2.0/"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert out == ""  # nothing after the announcement: logs go to stderr
    assert "/stage/***/" in err
    assert session.json()["session-token"] not in err and account.token not in err
