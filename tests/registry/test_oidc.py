"""Must-show 5, trusted publishing: a JWT from the test's own issuer (a key pair generated
here, its JWKS in a file) mints a short-lived token that can stage but not publish; a JWT for
another repository, a forged, expired, reused or mis-addressed one is refused.

Issue 10, must-show 4: GitLab and Google Cloud publishers, with tokens in their claim layouts
signed by the same test key (GitLab's and Google's issuers cannot run here). Issue 11, item 6:
the full workflow reference, a required ``jti`` remembered in the database, refusals that say
nothing about the server, and plain http only on loopback."""

from __future__ import annotations

import json
import string
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
from cryptography.hazmat.primitives.asymmetric import rsa
from stagekit import GITHUB_ISSUER as ISSUER
from stagekit import (
    GITLAB_ISSUER,
    HATCH_STAGE,
    Server,
    github_jwt,
    gitlab_jwt,
    google_jwt,
    unique_name,
)


def mint(server: Server, token: str) -> httpx2.Response:
    return httpx2.post(f"{server.url}/_/oidc/mint-token", json={"token": token})


def test_minted_token_stages_but_cannot_publish(server: Server, issuer_key, release_factory,
                                                ) -> None:
    key, jwks = issuer_key
    name = unique_name("oidc")
    server.admin("publisher", "add", "--project", name, "--issuer", ISSUER,
                 "--repository", "octo/demo", "--workflow", "release.yml",
                 "--environment", "release", "--jwks", str(jwks))
    assert httpx2.get(f"{server.url}/_/oidc/audience").json() == {"audience": "hatch-stage"}

    jwt_token = github_jwt(key, "octo/demo")
    minted = mint(server, jwt_token)
    assert minted.status_code == 200, minted.text
    document = minted.json()
    assert document["success"] is True and document["token"].startswith("hst_")
    assert 0 < document["expires"] - time.time() <= 15 * 60

    ci = server.client(document["token"])
    session = ci.stage(name, "1.0", release_factory(name, "1.0"))
    assert session["status"] == "open" and len(session["files"]) == 2
    assert session["actor-type"] == "publisher"
    assert ci.publish(session, "123456").status_code == 403
    assert ci.cancel(session, "123456").status_code == 403
    assert ci.create(unique_name("elsewhere"), "1.0").status_code == 403

    # a maintainer still approves it
    maintainer = server.maintainer(name)
    assert server.client(maintainer.token).publish(session, maintainer.otp()).status_code == 201

    reused = mint(server, jwt_token)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["code"] == "invalid-reuse-token"


def test_foreign_or_bad_jwts_are_refused(server: Server, issuer_key) -> None:
    key, jwks = issuer_key
    name = unique_name("oidc-refused")
    server.admin("publisher", "add", "--project", name, "--issuer", ISSUER,
                 "--repository", "octo/refused", "--workflow", "release.yml",
                 "--jwks", str(jwks))

    foreign = mint(server, github_jwt(key, "mallory/refused"))
    assert foreign.status_code == 422
    body = foreign.json()
    assert body["message"] == "Token request failed"
    assert body["errors"][0]["code"] == "invalid-publisher"
    assert "mallory/refused" in body["errors"][0]["description"]

    other_workflow = github_jwt(key, "octo/refused",
                                job_workflow_ref="octo/refused/.github/workflows/x.yml@main")
    assert mint(server, other_workflow).status_code == 422
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert mint(server, github_jwt(forged_key, "octo/refused")).status_code == 422
    assert mint(server, github_jwt(key, "octo/refused", lifetime=-120)).status_code == 422
    assert mint(server, github_jwt(key, "octo/refused", audience="pypi")).status_code == 422
    assert mint(server, "not-a-jwt").status_code == 422
    assert httpx2.post(f"{server.url}/_/oidc/mint-token", json={}).status_code == 422
    # the right one works (no environment configured: any environment)
    assert mint(server, github_jwt(key, "octo/refused")).status_code == 200


def _refusal(answer: httpx2.Response) -> str:
    assert answer.status_code == 422, answer.text
    return str(answer.json()["errors"][0]["description"])


def test_gitlab_trusted_publishing(server: Server, issuer_key) -> None:
    """Issue 10, must-show 4: a GitLab CI/CD job's token (project path, CI file, environment)
    mints a stage token; another project, CI file, instance or environment does not."""
    key, jwks = issuer_key
    name = unique_name("gitlab")
    project = "group/subgroup/app"
    added = server.admin("publisher", "add", "--project", name, "--kind", "gitlab",
                         "--repository", project, "--workflow", "ci/release.yml",
                         "--environment", "production", "--jwks", str(jwks))
    assert added["kind"] == "gitlab" and added["issuer"] == GITLAB_ISSUER

    minted = mint(server, gitlab_jwt(key, project, "ci/release.yml"))
    assert minted.status_code == 200, minted.text
    ci = server.client(minted.json()["token"])
    assert ci.create(name, "1.0").status_code == 201

    for refused in (
        gitlab_jwt(key, "group/subgroup/other", "ci/release.yml"),
        gitlab_jwt(key, project, ".gitlab-ci.yml"),
        gitlab_jwt(key, project, "ci/release.yml", environment="staging"),
        gitlab_jwt(key, project, "ci/release.yml", environment=None),
        # the CI file of another project whose path starts the same
        gitlab_jwt(key, project, "ci/release.yml",
                   ci_config_ref_uri=f"gitlab.com/{project}-fork//ci/release.yml@main"),
        # the same path on another GitLab instance
        gitlab_jwt(key, project, "ci/release.yml",
                   ci_config_ref_uri=f"gitlab.example.com/{project}//ci/release.yml@main"),
    ):
        assert "no trusted publisher matches" in _refusal(mint(server, refused))


def test_google_trusted_publishing(server: Server, issuer_key) -> None:
    """Issue 10, must-show 4: a Google Cloud service account's ID token mints a stage token
    once; another account, or an unverified email, does not. Google's tokens carry no
    ``jti``: the registry remembers their signature instead."""
    key, jwks = issuer_key
    name = unique_name("google")
    email = f"release@{name}.iam.gserviceaccount.com"
    server.admin("publisher", "add", "--project", name, "--kind", "google", "--email", email,
                 "--jwks", str(jwks))
    token = google_jwt(key, email)
    minted = mint(server, token)
    assert minted.status_code == 200, minted.text
    assert server.client(minted.json()["token"]).create(name, "1.0").status_code == 201
    replayed = mint(server, token)
    assert replayed.status_code == 422
    assert replayed.json()["errors"][0]["code"] == "invalid-reuse-token"
    # nor is the same signature spelled otherwise (base64's spare bits in its last character)
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    respelled = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert respelled != token and mint(server, respelled).status_code == 422
    assert "no trusted publisher matches" in _refusal(
        mint(server, google_jwt(key, f"other@{name}.iam.gserviceaccount.com")))
    assert "no trusted publisher matches" in _refusal(
        mint(server, google_jwt(key, email, email_verified=False)))


def test_publisher_add_checks_each_kind(server: Server, tmp_path: Path) -> None:
    def refused(*args: str) -> str:
        completed = subprocess.run([HATCH_STAGE, "admin", "publisher", "add", "--project",
                                    "checked", *args, *server.storage_args, "--json"],
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode != 0
        return str(json.loads(completed.stdout)["error"])

    assert "--email" in refused("--kind", "google")
    assert "takes no --repository" in refused("--kind", "google", "--email", "a@b.example",
                                              "--repository", "o/r")
    assert "--workflow" in refused("--kind", "gitlab", "--repository", "group/project")
    assert "like release.yml" in refused("--repository", "o/r", "--workflow", "a/b.yml")
    assert "CI file" in refused("--kind", "gitlab", "--repository", "g/p", "--workflow",
                                "../x.yml")
    assert "--jwks is needed" in refused("--kind", "gitlab", "--repository", "g/p",
                                         "--workflow", ".gitlab-ci.yml",
                                         "--issuer", "https://gitlab.example.com")


# issue 11, item 6 -----------------------------------------------------------------------

def test_a_reusable_workflow_of_another_repository_cannot_mint(server: Server,
                                                              issuer_key) -> None:
    """The trusted repository's job calls ``release.yml`` of another repository: the token
    names the trusted repository, but the workflow that runs is someone else's."""
    key, jwks = issuer_key
    name = unique_name("reusable")
    server.admin("publisher", "add", "--project", name, "--issuer", ISSUER,
                 "--repository", "octo/app", "--workflow", "release.yml", "--jwks", str(jwks))
    foreign = github_jwt(key, "octo/app", job_workflow_ref=(
        "mallory/tools/.github/workflows/release.yml@refs/heads/main"))
    assert "mallory/tools" in _refusal(mint(server, foreign))
    # nor a repository whose name only starts like the trusted one, nor no ref at all
    assert mint(server, github_jwt(key, "octo/app", job_workflow_ref=(
        "octo/app-tools/.github/workflows/release.yml@main"))).status_code == 422
    assert mint(server, github_jwt(key, "octo/app", job_workflow_ref=(
        "octo/app/.github/workflows/release.yml@"))).status_code == 422
    assert mint(server, github_jwt(key, "octo/app")).status_code == 200


def test_a_jwt_without_jti_is_refused_and_spent_ones_are_refused_everywhere(
        server: Server, issuer_key) -> None:
    key, jwks = issuer_key
    name = unique_name("jti")
    server.admin("publisher", "add", "--project", name, "--issuer", ISSUER,
                 "--repository", "octo/jti", "--workflow", "release.yml", "--jwks", str(jwks))
    without = github_jwt(key, "octo/jti", jti=None)
    assert "no jti" in _refusal(mint(server, without))
    assert "no jti" in _refusal(mint(server, without))

    # a second instance on the same storage (database) knows the token was spent
    token = github_jwt(key, "octo/jti")
    assert mint(server, token).status_code == 200
    other = Server(server.data, server.database).start()
    try:
        replayed = mint(other, token)
    finally:
        other.stop()
    assert replayed.status_code == 422
    assert replayed.json()["errors"][0]["code"] == "invalid-reuse-token"


def test_an_unreadable_jwks_tells_the_caller_nothing_about_the_server(
        server: Server, issuer_key, tmp_path: Path) -> None:
    key, _jwks = issuer_key
    name = unique_name("nokeys")
    missing = tmp_path / "secret-location" / "jwks.json"
    # an issuer of its own (GitHub Enterprise's layout), so no other test's keys answer
    issuer = f"https://{name}.example.com/_services/token"
    server.admin("publisher", "add", "--project", name, "--repository", "octo/nokeys",
                 "--workflow", "release.yml", "--issuer", issuer, "--jwks", str(missing))
    answer = mint(server, github_jwt(key, "octo/nokeys", iss=issuer))
    text = _refusal(answer)
    assert str(tmp_path) not in answer.text and "secret-location" not in answer.text
    assert "Errno" not in answer.text and "No such file" not in answer.text
    assert "could not read the issuer's signing keys" in text
    assert "secret-location" in server.log()  # the operator finds out why


def test_jwks_and_upstream_urls_over_plain_http_only_on_loopback(
        server: Server, issuer_key) -> None:
    key, jwks = issuer_key
    name = unique_name("plainhttp")

    def admin_fails(*args: str) -> str:
        completed = subprocess.run([HATCH_STAGE, "admin", *args, *server.storage_args,
                                    "--json"], capture_output=True, text=True, timeout=60)
        assert completed.returncode != 0, completed.stdout
        return str(json.loads(completed.stdout)["error"])

    assert "https://" in admin_fails("publisher", "add", "--project", name, "--issuer", ISSUER,
                                     "--repository", "octo/plain", "--workflow", "release.yml",
                                     "--jwks", "http://keys.example.com/jwks")
    assert "https://" in admin_fails("project", "set", name, "--upstream-url",
                                     "http://upload.example.com/legacy/")
    # on this machine plain http is fine: a JWKS served on 127.0.0.1 is fetched and used
    with JwksEndpoint(jwks.read_bytes()) as keys:
        server.admin("publisher", "add", "--project", name, "--issuer", ISSUER,
                     "--repository", "octo/plain", "--workflow", "release.yml",
                     "--jwks", keys.url)
        assert mint(server, github_jwt(key, "octo/plain")).status_code == 200
    server.admin("project", "set", name, "--upstream-url", "http://127.0.0.1:9/legacy/")


class JwksEndpoint:
    """An issuer's JWKS served over plain http on 127.0.0.1."""

    def __init__(self, document: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks"

    def __enter__(self) -> JwksEndpoint:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
