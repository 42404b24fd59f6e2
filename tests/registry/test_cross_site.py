"""Issue 11, item 7: a page of another site cannot change anything through a browser that
holds the registry's credentials, and no answer can be sniffed into a script or a page.

The requests are those a browser sends for a cross-site form or ``fetch``: the Basic
credentials it keeps, an ``Origin`` naming the other site (or ``Sec-Fetch-Site:
cross-site``), and a body type that needs no CORS preflight (multipart, ``text/plain``)."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from stagekit import Server, module_of, sdist_bytes, unique_name

EVIL = "https://evil.example"
NOSNIFF = ("x-content-type-options", "nosniff")


def _legacy(server: Server, token: str, name: str, headers: dict[str, str]) -> httpx2.Response:
    return httpx2.post(f"{server.url}/legacy/staged/", auth=("__token__", token),
                       headers=headers, data={":action": "file_upload", "name": name,
                                              "version": "1.0"},
                       files={"content": (f"{module_of(name)}-1.0.tar.gz",
                                          sdist_bytes(name, "1.0"))})


@pytest.mark.parametrize("browser", [{"Origin": EVIL}, {"Origin": "null"},
                                     {"Origin": "http://127.0.0.1"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_cross_site_uploads_are_refused(server: Server, browser: dict[str, str]) -> None:
    name = unique_name("csrf")
    maintainer = server.maintainer(name)
    refused = _legacy(server, maintainer.token, name, browser)
    assert refused.status_code == 403, refused.text
    assert "cross-site request refused" in refused.text
    client = server.client(maintainer.token)
    listed = client.http.get("/upload/2.0/sessions", params={"project": name}).json()
    assert listed["total"] == 0

    created = client.http.post("/upload/2.0/", headers={**browser, "Content-Type": "text/plain"},
                               content=b'{"meta": {"api-version": "2.0"}, "name": "x"}')
    assert created.status_code == 403 and created.json()["code"] == "forbidden"

    # a byte upload as a text/plain "simple" request, and a cancel with a valid code
    session = client.create(name, "1.0").json()
    data = sdist_bytes(name, "1.0")
    file = client.start_bytes(session, f"{module_of(name)}-1.0.tar.gz", data).json()
    sent = client.http.post(file["mechanism"]["file_url"], content=data,
                            headers={**browser, "Content-Type": "text/plain"})
    assert sent.status_code == 403
    assert client.http.get(file["links"]["file-upload-session"]).json()["status"] == "pending"
    code = maintainer.otp()
    canceled = client.http.delete(session["links"]["session"],
                                  headers={**browser, "X-Hatch-Stage-OTP": code})
    assert canceled.status_code == 403
    assert client.status(session)["status"] == "open"
    # nothing was spent: the same code still works from a client that is not a browser
    assert client.cancel(session, code).status_code == 200


def test_same_origin_and_non_browser_requests_pass(server: Server) -> None:
    name = unique_name("same-site")
    maintainer = server.maintainer(name)
    same = _legacy(server, maintainer.token, name, {"Origin": server.url,
                                                   "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200, same.text
    other = unique_name("plain")
    plain = _legacy(server, server.maintainer(other).token, other, {})  # as twine sends it
    assert plain.status_code == 200, plain.text
    # reading is not changing: a cross-site GET is answered (CORS keeps its body from the page)
    read = server.client(maintainer.token).http.get("/upload/2.0/sessions",
                                                    headers={"Origin": EVIL})
    assert read.status_code == 200


def test_every_answer_says_nosniff(server: Server, release_factory) -> None:
    name = unique_name("sniffed")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0", release_factory(name, "1.0"))
    client.publish(session, maintainer.otp())
    filename = next(iter(session["files"]))
    answers = [
        httpx2.get(f"{server.url}/"),
        httpx2.get(f"{server.url}/simple/{name}/"),
        httpx2.get(f"{server.url}/simple/{name}/", headers={"Accept": "application/json"}),
        httpx2.get(f"{server.url}/files/{filename}"),
        httpx2.get(f"{session['links']['stage']}files/{filename}"),
        httpx2.get(f"{server.url}/upload/2.0/sessions"),  # 401
        httpx2.post(f"{server.url}/legacy/"),  # 401, plain text
        httpx2.get(f"{server.url}/no/such/page"),  # 404
        _legacy(server, maintainer.token, name, {"Origin": EVIL}),  # 403
    ]
    for answer in answers:
        assert answer.headers.get(NOSNIFF[0]) == NOSNIFF[1], (answer.url, answer.status_code)


def test_behind_a_proxy_the_origin_is_that_of_base_url(tmp_path: Path) -> None:
    public = "https://stage.example.org"
    server = Server(tmp_path / "data", None, extra=["--base-url", public + "/"]).start()
    try:
        name, other = unique_name("proxied"), unique_name("proxied")
        assert _legacy(server, server.maintainer(name).token, name,
                       {"Origin": public}).status_code == 200
        assert _legacy(server, server.maintainer(other).token, other,
                       {"Origin": "https://stage.example.org:8443"}).status_code == 403
    finally:
        server.stop()
