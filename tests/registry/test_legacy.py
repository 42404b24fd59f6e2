"""The legacy upload API: must-show 3 (a real ``twine upload`` stages a release that is then
published through PEP 694), the ``staged=true`` form field, direct publishing when a project
allows it, and the duplicate rules."""

from __future__ import annotations

import hashlib

import httpx2
from stagekit import Server, twine_upload, unique_name

from hatch_stage.models import Artifact


def _sessions(server: Server, token: str, name: str, status: str) -> list[dict]:
    listing = server.client(token).http.get("/upload/2.0/sessions",
                                            params={"project": name, "status": status})
    return list(listing.json()["sessions"])


def test_twine_stages_then_maintainer_publishes(server: Server, release_factory) -> None:
    name = unique_name("twined")
    stager = server.maintainer(name, role="stage")
    artifacts = release_factory(name, "1.0.0")

    uploaded = twine_upload(f"{server.url}/legacy/staged/", stager.token, artifacts)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert stager.token not in uploaded.stdout + uploaded.stderr
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 404

    maintainer = server.maintainer(name)
    (session,) = _sessions(server, maintainer.token, name, "open")
    assert sorted(session["files"]) == sorted(a.filename for a in artifacts)
    assert all(f["status"] == "completed" for f in session["files"].values())
    assert session["actor"] == stager.user

    published = server.client(maintainer.token).publish(session, maintainer.otp())
    assert published.status_code == 201, published.text
    page = httpx2.get(f"{server.url}/simple/{name}/").text
    assert all(f"#sha256={a.sha256}" in page for a in artifacts)


def test_project_that_requires_staging_stages_plain_twine(server: Server,
                                                           release_factory) -> None:
    name = unique_name("required")
    server.admin("project", "set", name, "--require-staging", "--allow-direct-publish")
    maintainer = server.maintainer(name)
    uploaded = twine_upload(f"{server.url}/legacy/", maintainer.token,
                            release_factory(name, "2.0"))
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert len(_sessions(server, maintainer.token, name, "open")) == 1
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 404


def test_direct_publish_only_when_allowed(server: Server, release_factory) -> None:
    name = unique_name("direct")
    maintainer = server.maintainer(name)
    artifacts = release_factory(name, "1.0")
    refused = twine_upload(f"{server.url}/legacy/", maintainer.token, artifacts)
    assert refused.returncode != 0
    assert "403" in refused.stdout + refused.stderr
    assert "staged=true" in refused.stdout + refused.stderr

    server.admin("project", "set", name, "--allow-direct-publish")
    stager = server.maintainer(name, role="stage")
    assert twine_upload(f"{server.url}/legacy/", stager.token, artifacts).returncode != 0

    published = twine_upload(f"{server.url}/legacy/", maintainer.token, artifacts)
    assert published.returncode == 0, published.stdout + published.stderr
    page = httpx2.get(f"{server.url}/simple/{name}/").text
    assert all(a.filename in page for a in artifacts)
    # each direct upload is recorded as a session of its own, published at once
    sessions = _sessions(server, maintainer.token, name, "published")
    assert len(sessions) == 2 and {s["actor"] for s in sessions} == {maintainer.user}

    # an identical duplicate is fine; different bytes under a published name are not
    assert twine_upload(f"{server.url}/legacy/", maintainer.token, artifacts).returncode == 0
    changed = release_factory(name, "1.0", marker="-changed")
    clash = twine_upload(f"{server.url}/legacy/", maintainer.token, changed[:1])
    assert clash.returncode != 0
    assert "File already exists" in clash.stdout + clash.stderr


def _legacy_form(artifact: Artifact, name: str, version: str, **fields: str) -> dict[str, str]:
    return {":action": "file_upload", "protocol_version": "1", "name": name,
            "version": version, "filetype": "bdist_wheel" if artifact.kind == "wheel"
            else "sdist", "pyversion": "py3", "metadata_version": "2.4",
            "sha256_digest": artifact.sha256, **fields}


def test_staged_form_field_creates_and_joins_the_session(server: Server,
                                                         release_factory) -> None:
    name = unique_name("formfield")
    stager = server.maintainer(name, role="stage")
    http = httpx2.Client(base_url=server.url, auth=("__token__", stager.token))
    sdist, wheel = release_factory(name, "1.0")

    def send(artifact: Artifact, **fields: str) -> httpx2.Response:
        with artifact.path.open("rb") as stream:
            return http.post("/legacy/", data=_legacy_form(artifact, name, "1.0", **fields),
                             files={"content": (artifact.filename, stream)})

    first = send(wheel, staged="true")
    assert first.status_code == 200, first.text
    session = first.json()
    assert session["status"] == "open" and list(session["files"]) == [wheel.filename]
    joined = send(sdist, staged="true").json()
    assert joined["id"] == session["id"] and len(joined["files"]) == 2
    assert send(wheel, staged="true").json()["id"] == session["id"]  # identical: a no-op

    changed = release_factory(name, "1.0", marker="-fixed")[1]
    replaced = send(changed, staged="true").json()
    assert replaced["files"][wheel.filename]["hashes"]["sha256"] == changed.sha256
    served = httpx2.get(replaced["files"][wheel.filename]["url"])
    assert hashlib.sha256(served.content).hexdigest() == changed.sha256

    wrong = send(sdist, staged="true", sha256_digest="0" * 64)
    assert wrong.status_code == 400 and wrong.headers["content-type"].startswith("text/plain")
    assert http.post("/legacy/", data={":action": "file_upload"}).status_code == 400
    anonymous = httpx2.post(f"{server.url}/legacy/", data={":action": "file_upload"})
    assert anonymous.status_code == 401
