"""The review page over plain HTTP (issue 9, part C), on both storage backends: the sign-in
cookie, sign-out, revoked tokens, which releases a maintainer sees, and the anti-forgery
checks one at a time (tests/browser drives the same page in Chromium)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx2
import pyotp
import pytest
from reviewpage import csrf_of, signed_in_client, wrong_code
from stagekit import Account, Server, unique_name

from hatch_stage.registry import Registry
from hatch_stage.registry.problems import Unauthorized
from hatch_stage.registry.schema import SCHEMA_VERSION


def _staged(server: Server, release_factory: Any) -> tuple[str, dict[str, Any], Account]:
    name = unique_name("review")
    maintainer = server.maintainer(name)
    session = server.client(maintainer.token).stage(name, "1.0.0", release_factory(name))
    return name, session, maintainer


def test_the_sign_in_cookie_and_signing_out(server: Server, release_factory: Any) -> None:
    _name, _session, maintainer = _staged(server, release_factory)
    http, csrf = signed_in_client(server, maintainer)
    listing = http.get("/review/")
    for header, value in {"content-security-policy": "default-src 'none'",
                          "x-content-type-options": "nosniff", "x-frame-options": "DENY",
                          "cache-control": "no-store"}.items():
        assert value in listing.headers[header]
    cookie = http.cookies["hatch_stage_review"]
    # signing out needs the page's own form too
    assert http.post("/review/logout", data={"csrf": "forged"},
                     headers={"Origin": server.url}).status_code == 403
    out = http.post("/review/logout", data={"csrf": csrf}, headers={"Origin": server.url})
    assert out.status_code == 303 and out.headers["location"] == "/review/login"
    assert http.get("/review/").status_code == 303  # signed out: sent to the sign-in form
    # the sign-in is gone on the server, not only from this browser
    replayed = httpx2.get(f"{server.url}/review/", cookies={"hatch_stage_review": cookie})
    assert replayed.status_code == 303


def test_the_cookie_attributes(server: Server, release_factory: Any) -> None:
    """HttpOnly, SameSite=Strict, under /review, short-lived, and no Secure on loopback over
    plain HTTP (a browser would drop a Secure cookie there)."""
    _name, _session, maintainer = _staged(server, release_factory)
    http = httpx2.Client(base_url=server.url, timeout=60)
    form = http.get("/review/login")
    answer = http.post("/review/login", data={"csrf": csrf_of(form.text), "token":
                                              maintainer.token, "otp": maintainer.otp()},
                       headers={"Origin": server.url})
    assert answer.status_code == 303
    cookie = next(value for key, value in answer.headers.multi_items()
                  if key == "set-cookie" and value.startswith("hatch_stage_review="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/review", "max-age=1800"} <= attributes
    assert "secure" not in attributes
    old = http.cookies.get("hatch_stage_review")
    assert old and old not in server.log()


def test_forged_decisions_are_refused_one_check_at_a_time(server: Server,
                                                          release_factory: Any) -> None:
    name, session, maintainer = _staged(server, release_factory)
    http, csrf = signed_in_client(server, maintainer)
    code = maintainer.otp(1)
    form = {"action": "approve", "otp": code, "release-digest": session["release-digest"]}
    page = f"/review/{session['id']}"
    forged = {
        "no anti-forgery token": ({**form}, {"Origin": server.url}),
        "a wrong token": ({**form, "csrf": "x" * 43}, {"Origin": server.url}),
        "another origin": ({**form, "csrf": csrf}, {"Origin": "http://127.0.0.1:1"}),
        "a null origin": ({**form, "csrf": csrf}, {"Origin": "null"}),
        "no origin at all": ({**form, "csrf": csrf}, {}),
    }
    for why, (data, headers) in forged.items():
        answer = http.post(page, data=data, headers=headers)
        assert answer.status_code == 403, why
        # a foreign or null Origin is stopped by the server-wide guard before the page's own
        # check; the others by the page
        assert ("did not come from this registry" in answer.text
                or "cross-site request refused" in answer.text), why
    status = server.client(maintainer.token).status(session)["status"]
    assert status == "open"
    # a Referer from the page itself stands in for a missing Origin; the code was never spent
    answer = http.post(page, data={**form, "csrf": csrf}, headers={"Referer": server.url + page})
    assert answer.status_code == 303, answer.text
    assert server.client(maintainer.token).status(session)["status"] == "published"
    assert name


def test_sign_in_refusals(server: Server, release_factory: Any) -> None:
    name, _session, maintainer = _staged(server, release_factory)
    stager = server.maintainer(name, role="stage")
    http = httpx2.Client(base_url=server.url, timeout=60)

    def attempt(token: str, otp: str, *, forged: bool = False) -> Any:
        form = http.get("/review/login")
        csrf = "forged" if forged else csrf_of(form.text)
        return http.post("/review/login", data={"csrf": csrf, "token": token, "otp": otp},
                         headers={"Origin": server.url})

    refused = attempt(stager.token, stager.otp())
    assert refused.status_code == 403 and "may stage but not publish" in refused.text
    refused = attempt(maintainer.token, wrong_code(maintainer, time.time()))
    assert refused.status_code == 401 and "one-time password is wrong" in refused.text
    refused = attempt("hst_" + "x" * 43, maintainer.otp())
    assert refused.status_code == 401 and "unknown, revoked or expired" in refused.text
    refused = attempt(maintainer.token, maintainer.otp(), forged=True)
    assert refused.status_code == 403 and "did not come from this registry" in refused.text
    for answer in (refused,):
        assert maintainer.token not in answer.text
    assert attempt(maintainer.token, maintainer.otp()).status_code == 303


def test_a_revoked_token_ends_the_sign_in(server: Server, release_factory: Any) -> None:
    _name, _session, maintainer = _staged(server, release_factory)
    http, _ = signed_in_client(server, maintainer)
    tokens = server.admin("token", "list", "--user", maintainer.user)
    server.admin("token", "revoke", str(tokens[0]["id"]))
    answer = http.get("/review/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/review/login")


def test_a_maintainer_sees_only_the_projects_the_token_covers(server: Server,
                                                             release_factory: Any) -> None:
    mine, session, maintainer = _staged(server, release_factory)
    theirs, other, _ = _staged(server, release_factory)
    http, _ = signed_in_client(server, maintainer)
    listing = http.get("/review/").text
    assert f"/review/{session['id']}" in listing and mine in listing
    assert f"/review/{other['id']}" not in listing and theirs not in listing
    assert http.get(f"/review/{other['id']}").status_code == 403
    assert http.get("/review/00000000-0000-0000-0000-000000000000").status_code == 404
    shown = http.get(f"/review/{session['id']}").text
    assert session["release-digest"] in shown and session["links"]["stage"] in shown


def test_a_version_2_database_gains_the_sign_in_table(tmp_path: Path) -> None:
    Registry.open(tmp_path).close()
    with sqlite3.connect(tmp_path / "registry.db") as db:  # back to what version 2 had
        db.execute("drop table web_sessions")
        db.execute("update schema_version set version = 2")
    with Registry.open(tmp_path) as registry:
        registry.accounts.add_user("carol")
    with sqlite3.connect(tmp_path / "registry.db") as db:
        assert db.execute("select version from schema_version").fetchall() == [
            (SCHEMA_VERSION,)]
        assert db.execute("select count(*) from web_sessions").fetchall() == [(0,)]


def test_a_sign_in_expires_and_is_swept(tmp_path: Path) -> None:
    with Registry.open(tmp_path) as registry:
        user = registry.accounts.add_user("dave")
        token = registry.accounts.create_token("dave", ["*"], "maintain").token
        now = time.time()
        registry.clock = lambda: now
        web = registry.sign_in(token, pyotp.TOTP(user.totp_secret).at(now))
        assert registry.signed_in(web.cookie).principal.actor == "dave"
        registry.clock = lambda: now + registry.settings.review_session_lifetime
        with pytest.raises(Unauthorized):
            registry.signed_in(web.cookie)
        assert registry.maintenance()["sign-ins"] == 1


def test_behind_a_tls_proxy_the_cookie_is_secure_and_the_origin_is_the_public_one(
        tmp_path: Path) -> None:
    public = "https://review.example.org"
    server = Server(tmp_path / "data", None, extra=["--base-url", public]).start()
    try:
        name = unique_name("proxied")
        maintainer = server.maintainer(name)
        # the Secure login cookie would not travel over this plain-HTTP hop: send it by hand,
        # as the proxy passes on what the browser sent over TLS
        form = httpx2.get(f"{server.url}/review/login", timeout=60)
        assert "secure" in form.headers["set-cookie"].lower()
        login = form.headers["set-cookie"].split(";")[0]
        data = {"csrf": csrf_of(form.text), "token": maintainer.token, "otp": maintainer.otp()}
        # the address the proxy talks to is not the origin browsers see
        refused = httpx2.post(f"{server.url}/review/login", data=data, timeout=60,
                              headers={"Origin": "http://evil.test", "Cookie": login})
        assert refused.status_code == 403
        answer = httpx2.post(f"{server.url}/review/login", data=data, timeout=60,
                             headers={"Origin": public, "Cookie": login})
        assert answer.status_code == 303, answer.text
        cookie = answer.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        server.stop()


def test_plain_http_off_loopback_is_told_to_use_https(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", None, extra=["--base-url", "http://review.example.org"])
    server.start()
    try:
        form = httpx2.get(f"{server.url}/review/login", timeout=60)
        assert "sign-in needs HTTPS" in form.text
    finally:
        server.stop()
