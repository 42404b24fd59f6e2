"""Issue 11, items 4 and 5: bad input gets a 4xx naming the problem, never a 500, on both
databases; names, versions and file names are checked strictly, so one release has one
spelling of each file and one sdist."""

from __future__ import annotations

import base64
import json

import httpx2
import pytest
from stagekit import UPLOAD_TYPE, Server, module_of, sdist_bytes, unique_name

#: deeper than any parser's stack
DEEP = 100_000


def test_non_ascii_basic_credentials_are_refused_as_malformed(server: Server) -> None:
    for value in (b"Basic \xc3\xa9t\xc3\xa9", b"Basic " + base64.b64encode("__token__:hé".encode())
                  + b"\xff", b"Basic " + base64.b64encode(b"__token__:\xff\xfe")):
        answer = httpx2.get(f"{server.url}/upload/2.0/sessions",
                            headers={"Authorization": value})
        assert answer.status_code == 401, (value, answer.text)
        assert answer.json()["code"] == "auth_failed"
        assert "Basic" in answer.headers["www-authenticate"]


def test_a_non_ascii_one_time_password_is_a_wrong_code(server: Server) -> None:
    name = unique_name("otp-bytes")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.create(name, "1.0").json()
    for code in ("١٢٣٤٥٦".encode(), b"\xff\xfe\xfd\xfc\xfb\xfa", "12345\uff16".encode()):
        answer = client.http.delete(session["links"]["session"],
                                    headers={"X-Hatch-Stage-OTP": code})
        assert answer.status_code == 401, (code, answer.text)
        assert answer.json()["code"] == "otp_required"
    # the code was never compared, and the right one still works
    assert client.cancel(session, maintainer.otp()).status_code == 200


def test_deeply_nested_json_is_a_bad_request(server: Server) -> None:
    name = unique_name("nested")
    client = server.client(server.maintainer(name, role="stage").token)
    deep = b"[" * DEEP + b"]" * DEEP
    created = client.http.post("/upload/2.0/", content=deep,
                               headers={"Content-Type": UPLOAD_TYPE})
    assert created.status_code == 400 and "JSON" in created.json()["detail"]
    nested: object = 1
    for _ in range(40):  # parses, but deeper than any document of the API
        nested = [nested]
    too_deep = json.dumps({"meta": {"api-version": "2.0"}, "name": name, "version": "1",
                           "extra": nested})
    refused = client.http.post("/upload/2.0/", content=too_deep,
                               headers={"Content-Type": UPLOAD_TYPE})
    assert refused.status_code == 400 and "nested" in refused.json()["detail"]

    # the unauthenticated trusted-publishing exchange: the body, and inside the JWT
    minted = httpx2.post(f"{server.url}/_/oidc/mint-token",
                         content=b'{"token": ' + deep + b"}")
    assert minted.status_code == 400 and minted.json()["message"] == "Token request failed"
    encode = base64.urlsafe_b64encode
    header = encode(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = encode(b'{"iss": ' + b"[" * 5000 + b"]" * 5000 + b"}").rstrip(b"=")
    token = (header + b"." + payload + b"." + encode(b"sig").rstrip(b"=")).decode()
    minted = httpx2.post(f"{server.url}/_/oidc/mint-token", json={"token": token})
    assert minted.status_code == 422, minted.text
    assert minted.json()["errors"][0]["code"] == "invalid-payload"


def test_page_numbers_out_of_range_are_bad_requests(server: Server) -> None:
    name = unique_name("paged")
    client = server.client(server.maintainer(name, role="stage").token)
    for params in ({"page": "9" * 30}, {"per-page": "9" * 30}, {"page": "-1"},
                   {"page": "1e3"}, {"page": "٣"}):
        answer = client.http.get("/upload/2.0/sessions", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["errors"][0]["source"] in params
    assert client.http.get("/upload/2.0/sessions", params={"page": "999999"}).status_code == 200


def test_ids_names_and_versions_the_database_cannot_hold_are_refused(server: Server) -> None:
    name = unique_name("sized")
    client = server.client(server.maintainer("*", role="stage").token)
    assert client.create("a" * 201, "1.0").status_code == 400
    assert client.create(name, "1." + "0" * 100).status_code == 400
    for path in ("/upload/2.0/sessions/%00", "/upload/2.0/sessions/" + "x" * 300,
                 "/upload/2.0/sessions/a%00b/files/c%00d", "/files/x%00.whl",
                 "/stage/%00/", "/simple/%00/"):
        answer = client.http.get(path)
        assert answer.status_code in (400, 404), (path, answer.text)


@pytest.mark.parametrize("spelling", ["name\n", "name\r\n", " name", "na me", "name\x00"])
def test_names_are_matched_whole(server: Server, spelling: str) -> None:
    name = unique_name("whole")
    client = server.client(server.maintainer("*", role="stage").token)
    answer = client.create(spelling.replace("name", name), "1.0")
    assert answer.status_code == 400, answer.text
    assert server.admin_refuses("user", "add", spelling.replace("name", unique_name("user")))


def test_versions_are_stored_normalized(server: Server) -> None:
    name = unique_name("spelled")
    client = server.client(server.maintainer(name, role="stage").token)
    created = client.create(name, "  1.0.0-RC1 \n")
    assert created.status_code == 201, created.text
    assert created.json()["version"] == "1.0.0rc1"
    listed = client.http.get("/upload/2.0/sessions", params={"project": name}).json()
    assert [item["version"] for item in listed["sessions"]] == ["1.0.0rc1"]
    # the same release, however it is spelled
    assert client.create(name, "v1.0.0rc1").status_code == 409


def _bad_names(name: str) -> dict[str, str]:
    stem = module_of(name)
    return {
        "a NUL": f"{stem}-1.0.tar.gz\x00.whl",
        "a slash": f"../{stem}-1.0.tar.gz",
        "markup": f"{stem}-1.0-py3-none-any<script>.whl",
        "a quote": f"{stem}-1.0-py3-none-any'.whl",
        "a fragment": f"{stem}-1.0.tar.gz#sha256=0",
        "a query": f"{stem}-1.0.tar.gz?x=1",
        "whitespace": f"{stem}-1.0 .tar.gz",
        "a .zip sdist": f"{stem}-1.0.zip",
        "an upper-case sdist": f"{stem.upper()}-1.0.tar.gz",
        "a v-prefixed sdist": f"{stem}-v1.0.tar.gz",
        "an sdist of another spelling of the version": f"{stem}-1.0.0.tar.gz",
        "a hyphenated sdist name": f"{name}-1.0.tar.gz",
        "a wheel with an unnormalized version": f"{stem}-1.0.0-py3-none-any.whl",
        "a wheel with an upper-case tag": f"{stem}-1.0-PY3-none-any.whl",
        "a wheel with an empty tag": f"{stem}-1.0-py3..py2-none-any.whl",
        "a wheel with a non-ASCII name": f"{stem}é-1.0-py3-none-any.whl",
        "a wheel whose build tag is not a number": f"{stem}-1.0-b1-py3-none-any.whl",
        "a wheel without tags": f"{stem}-1.0.whl",
        "a very long name": f"{stem}-1.0-py3-none-{'x' * 250}.whl",
    }


def test_file_names_are_checked_strictly(server: Server) -> None:
    name = unique_name("Strict.Names")
    client = server.client(server.maintainer(name, role="stage").token)
    session = client.create(name, "1.0").json()
    for case, filename in _bad_names(name).items():
        started = client.start_bytes(session, filename, b"x")
        assert started.status_code == 400, (case, started.text)
        assert started.json()["errors"][0]["source"] == "filename", case
    assert client.status(session)["files"] == {}
    good = (f"{module_of(name).lower()}-1.0.tar.gz", f"{module_of(name)}-1.0-py3-none-any.whl",
            # dots and capitals in a wheel's name are allowed (older tools wrote them)
            f"{name.replace('-', '_')}-1.0-1-cp312-abi3-manylinux_2_17_x86_64"
            ".manylinux2014_x86_64.whl")
    for filename in good:
        assert client.start_bytes(session, filename, b"x").status_code == 202, filename


def test_a_release_has_one_sdist(server: Server, release_factory) -> None:
    """A release published as 1.0 cannot gain a second sdist through a session for 1.0.0."""
    name = unique_name("one-sdist")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0", release_factory(name, "1.0"))
    assert client.publish(session, maintainer.otp()).status_code == 201
    again = client.create(name, "1.0.0").json()
    assert again["version"] == "1.0.0"
    data = sdist_bytes(name, "1.0.0")
    refused = client.start_bytes(again, f"{module_of(name)}-1.0.0.tar.gz", data)
    assert refused.status_code == 409, refused.text
    assert "one sdist" in refused.json()["detail"]
    # the legacy API takes the same road
    legacy = httpx2.post(f"{server.url}/legacy/staged/", auth=("__token__", maintainer.token),
                         data={":action": "file_upload", "name": name, "version": "1.0.0"},
                         files={"content": (f"{module_of(name)}-1.0.0.tar.gz", data)})
    assert legacy.status_code == 409 and "one sdist" in legacy.text
