"""PEP 694 Upload 2.0 over real HTTP: sessions, file uploads, the 409 rules, problem+json
errors, replacing and deleting files, extension, and the session listing extension."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx2
from stagekit import UPLOAD_TYPE, Server, module_of, sdist_bytes, unique_name, wheel_bytes


def test_create_session_document_and_conflict(server: Server) -> None:
    name = unique_name("Create.Me")
    client = server.client(server.maintainer(name, role="stage").token)
    created = client.create(name, "1.0")
    assert created.status_code == 201
    assert created.headers["content-type"].startswith(UPLOAD_TYPE)
    session = created.json()
    assert created.headers["location"] == session["links"]["session"]
    assert session["meta"] == {"api-version": "2.0"}
    assert session["status"] == "open" and session["files"] == {}
    assert session["mechanisms"] == ["http-post-bytes"]
    assert set(session["links"]) == {"stage", "upload", "session", "publish", "extend"}
    assert session["expires-at"].endswith("Z") and "." not in session["expires-at"]

    # a live session for the same release (any spelling of name and version) -> 409 + Location
    again = client.create(name.upper(), "1.0.0")
    assert again.status_code == 409
    assert again.headers["location"] == session["links"]["session"]
    assert again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["status"] == 409 and problem["title"] == "Conflict" and problem["detail"]


def test_bad_requests_are_problem_documents(server: Server, release_factory) -> None:
    name = unique_name("bad")
    client = server.client(server.maintainer(name, role="stage").token)
    wrong_meta = client.http.post("/upload/2.0/", json={"meta": {"api-version": "3.0"},
                                                        "name": name, "version": "1"},
                                  headers={"Content-Type": UPLOAD_TYPE})
    assert wrong_meta.status_code == 400
    assert wrong_meta.json()["errors"][0]["source"] == "meta.api-version"
    assert client.create(name, "not a version").status_code == 400
    assert client.create("-bad-name-", "1.0").status_code == 400

    session = client.create(name, "1.0").json()
    artifact = release_factory(name, "1.0")[0]
    assert client.start_file(session, artifact, mechanism="vnd-acme-postal").status_code == 422
    assert client.start_file(session, artifact, hashes={"md5": "0" * 32}).status_code == 400
    wrong_version = client.start_file(session, artifact,
                                      filename=artifact.filename.replace("1.0", "9.9"))
    assert wrong_version.status_code == 400
    assert client.start_file(session, artifact, filename="evil.exe").status_code == 400


def test_upload_checks_size_and_hash_and_never_serves_bad_bytes(
        server: Server, release_factory) -> None:
    name = unique_name("verify")
    client = server.client(server.maintainer(name, role="stage").token)
    session = client.create(name, "1.0").json()
    artifact = release_factory(name, "1.0")[1]
    file = client.start_file(session, artifact).json()
    assert file["status"] == "pending"
    assert file["mechanism"]["identifier"] == "http-post-bytes"

    good = artifact.path.read_bytes()
    tampered = good[:-1] + bytes([good[-1] ^ 1])
    mismatch = client.send_bytes(file, tampered)
    assert mismatch.status_code == 400 and "sha256" in mismatch.json()["detail"]
    assert client.send_bytes(file, good[:-5]).status_code == 400
    assert client.send_bytes(file, good + b"extra").status_code == 400
    # nothing verified yet: the stage preview does not offer the file
    preview = httpx2.get(f"{session['links']['stage']}files/{artifact.filename}")
    assert preview.status_code == 404

    assert client.send_bytes(file, good).status_code == 200
    # issue 10: attestations are verified, so made-up ones are refused and nothing is kept
    # (tests/registry/test_provenance.py attaches real ones)
    attestation = [{"version": 1, "verification_material": {"certificate": "..."},
                    "envelope": {"statement": "...", "signature": "..."}}]
    attach = client.http.post(file["mechanism"]["attestations_url"], json=attestation)
    assert attach.status_code == 400 and attach.json()["code"] == "provenance_refused"
    assert client.http.post(file["mechanism"]["attestations_url"],
                            json={"not": "a list"}).status_code == 400
    completed = client.post(file["links"]["complete"])
    assert completed.status_code == 201 and completed.json()["status"] == "completed"
    served = httpx2.get(f"{session['links']['stage']}files/{artifact.filename}")
    assert hashlib.sha256(served.content).hexdigest() == artifact.sha256
    # attestations must come before completion
    late = client.http.post(file["mechanism"]["attestations_url"], json=attestation)
    assert late.status_code == 409


def test_complete_without_bytes_errors_the_file(server: Server, release_factory) -> None:
    name = unique_name("nobytes")
    client = server.client(server.maintainer(name, role="stage").token)
    session = client.create(name, "1.0").json()
    artifact = release_factory(name, "1.0")[0]
    file = client.start_file(session, artifact).json()
    failed = client.post(file["links"]["complete"])
    assert failed.status_code == 409
    status = client.http.get(file["links"]["file-upload-session"]).json()
    assert status["status"] == "error" and status["notices"]
    assert client.status(session)["files"][artifact.filename]["status"] == "error"
    # an errored file cannot be replaced in place: delete it, then start over
    assert client.start_file(session, artifact).status_code == 409
    assert client.http.delete(file["links"]["file-upload-session"]).status_code == 204
    assert client.http.get(file["links"]["file-upload-session"]).json()["status"] == "canceled"
    assert artifact.filename not in client.status(session)["files"]
    client.upload(session, artifact)
    assert client.status(session)["files"][artifact.filename]["status"] == "completed"


def test_publish_rules(server: Server, release_factory) -> None:
    name = unique_name("rules")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    sdist, wheel = release_factory(name, "1.0")
    session = client.create(name, "1.0").json()
    client.upload(session, wheel)
    pending = client.start_file(session, sdist)
    assert pending.status_code == 202
    # a pending file blocks publishing (409 naming it) and cannot be replaced
    blocked = client.publish(session, maintainer.otp())
    assert blocked.status_code == 409
    assert blocked.json()["errors"] == [{"source": sdist.filename, "message": "pending"}]
    assert client.start_file(session, sdist).status_code == 409
    file = pending.json()
    client.send_bytes(file, sdist.path.read_bytes())
    client.post(file["links"]["complete"])
    # a completed file may be replaced by a new upload of the same name
    replaced = client.start_file(session, wheel)
    assert replaced.status_code == 202
    with wheel.path.open("rb") as stream:
        client.send_bytes(replaced.json(), stream)
    client.post(replaced.json()["links"]["complete"])
    assert sorted(client.status(session)["files"]) == sorted([sdist.filename, wheel.filename])

    assert client.publish(session, maintainer.otp()).status_code == 201
    # published files are immutable: a new session for the same release may add files but
    # gets 409 for a published file name
    more = client.create(name, "1.0")
    assert more.status_code == 201
    assert client.start_file(more.json(), wheel).status_code == 409
    assert client.start_file(session, wheel).status_code == 409


def test_extend_moves_expiry_later(server: Server) -> None:
    name = unique_name("extend")
    client = server.client(server.maintainer(name, role="stage").token)
    session = client.create(name, "1.0").json()
    extended = client.post(session["links"]["extend"], {"extend-for": 30 * 24 * 3600})
    assert extended.status_code == 200
    assert extended.json()["expires-at"] > session["expires-at"]
    shorter = client.post(session["links"]["extend"], {"extend-for": 1})
    assert shorter.json()["expires-at"] == extended.json()["expires-at"]
    assert client.post(session["links"]["extend"], {"extend-for": "soon"}).status_code == 400


def test_session_listing_extension(server: Server, release_factory) -> None:
    name, other = unique_name("listed"), unique_name("hidden")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    first = client.stage(name, "1.0", release_factory(name, "1.0"))
    client.publish(first, maintainer.otp())
    second = client.create(name, "2.0").json()
    server.client(server.maintainer(other).token).create(other, "1.0")

    listing = client.http.get("/upload/2.0/sessions")
    assert listing.status_code == 200
    assert listing.headers["content-type"].startswith(UPLOAD_TYPE)
    document = listing.json()
    ids = [item["id"] for item in document["sessions"]]
    assert ids == [second["id"], first["id"]]  # newest first, other projects invisible
    assert document["total"] == 2 and document["page"] == 0

    opened = client.http.get("/upload/2.0/sessions", params={"status": "open"}).json()
    assert [item["id"] for item in opened["sessions"]] == [second["id"]]
    published = client.http.get("/upload/2.0/sessions",
                                params={"project": name, "status": "published"}).json()
    item = published["sessions"][0]
    assert (item["name"], item["version"], item["status"]) == (name, "1.0", "published")
    assert item["actor"] == maintainer.user and item["actor-type"] == "user"
    paged = client.http.get("/upload/2.0/sessions", params={"per-page": 1, "page": 1}).json()
    assert [item["id"] for item in paged["sessions"]] == [first["id"]]
    assert client.http.get("/upload/2.0/sessions", params={"status": "bogus"}).status_code == 400
    assert server.client().http.get("/upload/2.0/sessions").status_code == 401


def test_listing_keeps_the_creation_order_within_one_second(server: Server) -> None:
    """Issue 11, item 14: sessions opened in the same second list newest first, page after
    page, in the order they were opened (not in the order of their random ids)."""
    name = unique_name("ordered")
    client = server.client(server.maintainer(name, role="stage").token)
    opened = [client.create(name, f"{index}.0").json()["id"] for index in range(12)]
    newest_first = list(reversed(opened))
    listed = client.http.get("/upload/2.0/sessions", params={"project": name}).json()
    assert [item["id"] for item in listed["sessions"]] == newest_first
    pages = [client.http.get("/upload/2.0/sessions",
                             params={"project": name, "per-page": 5, "page": page}).json()
             for page in range(3)]
    assert [item["id"] for page in pages for item in page["sessions"]] == newest_first


def test_a_session_holds_a_bounded_number_of_files(server: Server) -> None:
    """Issue 11, item 8: the 301st file of a session is refused (the default limit, 300), and
    so is a file the legacy API would add; replacing a file the session holds still works."""
    name = unique_name("crowded")
    client = server.client(server.maintainer(name, role="stage").token)
    session = client.create(name, "1.0").json()
    stem = name.replace("-", "_")
    wheels = [f"{stem}-1.0-{index}-py3-none-any.whl" for index in range(301)]
    for filename in wheels[:300]:
        assert client.start_bytes(session, filename, b"x").status_code == 202, filename
    refused = client.start_bytes(session, wheels[300], b"x")
    assert refused.status_code == 409 and "300 files" in refused.json()["detail"]
    assert "--max-session-files" in refused.json()["detail"]
    token = client.http.headers["authorization"].removeprefix("Bearer ")
    legacy = httpx2.post(f"{server.url}/legacy/staged/", auth=("__token__", token),
                         data={"name": name, "version": "1.0"},
                         files={"content": (wheels[300], wheel_bytes(name, "1.0"))})
    assert legacy.status_code == 409 and "300 files" in legacy.text
    document = client.status(session)
    assert len(document["files"]) == 300 and wheels[300] not in document["files"]
    # a file it holds can still be deleted, and a name it holds replaced
    file = client.http.get(document["files"][wheels[0]]["link"]).json()
    assert client.http.delete(file["links"]["file-upload-session"]).status_code == 204
    assert client.start_bytes(session, wheels[300], b"x").status_code == 202


def test_the_file_limit_is_configurable_and_bounds_the_history_too(tmp_path: Path) -> None:
    """``serve --max-session-files N``; a session's file changes are bounded as well (ten per
    file it may hold), so neither its document nor its history grows without end."""
    server = Server(tmp_path / "data", None, extra=["--max-session-files", "2"]).start()
    try:
        name = unique_name("small")
        client = server.client(server.maintainer(name, role="stage").token)
        session = client.create(name, "1.0").json()
        sdist = sdist_bytes(name, "1.0")
        wheel = wheel_bytes(name, "1.0")
        sdist_name = f"{module_of(name)}-1.0.tar.gz"
        wheel_name = f"{module_of(name)}-1.0-py3-none-any.whl"
        assert client.upload_bytes(session, sdist_name, sdist).status_code == 201
        assert client.upload_bytes(session, wheel_name, wheel).status_code == 201
        third = client.start_bytes(session, f"{module_of(name)}-1.0-py2-none-any.whl", wheel)
        assert third.status_code == 409 and "2 files" in third.json()["detail"]
        changes = len([event for event in client.status(session)["history"]
                       if event["filename"]])
        while changes < 20:  # each replacement is two changes: the removal and the addition
            replaced = client.upload_bytes(session, wheel_name, wheel)
            assert replaced.status_code == 201, replaced.text
            changes = len([event for event in client.status(session)["history"]
                           if event["filename"]])
        churn = client.start_bytes(session, wheel_name, wheel)
        assert churn.status_code == 409 and "file changes" in churn.json()["detail"]
    finally:
        server.stop()
