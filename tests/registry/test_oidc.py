"""Must-show 5, trusted publishing: a JWT from the test's own issuer (a key pair generated
here, its JWKS in a file) mints a short-lived token that can stage but not publish; a JWT for
another repository, a forged, expired, reused or mis-addressed one is refused."""

from __future__ import annotations

import time

import httpx2
from cryptography.hazmat.primitives.asymmetric import rsa
from stagekit import GITHUB_ISSUER as ISSUER
from stagekit import Server, github_jwt, unique_name


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
