"""Must-show 2: pip installs a staged release from its stage preview before anything is
public, the live index does not list it, and after approval pip installs it from /simple/."""

from __future__ import annotations

from pathlib import Path

import httpx2
from stagekit import Server, installed_release, pip_install, unique_name

JSON = "application/vnd.pypi.simple.v1+json"


def test_pip_installs_from_stage_preview_then_from_live_index(
        server: Server, release_factory, tmp_path: Path) -> None:
    name = unique_name("preview")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0.0", release_factory(name, "1.0.0"))
    stage = session["links"]["stage"]
    assert stage.startswith(f"{server.url}/stage/") and session["session-token"] in stage

    preview = pip_install(stage, f"{name}==1.0.0", tmp_path / "from-stage")
    assert preview.returncode == 0, preview.stderr
    assert installed_release(tmp_path / "from-stage", name) == f'RELEASE = "{name} 1.0.0"\n'

    # nothing public yet: the live index neither lists nor serves the staged release
    assert name not in httpx2.get(f"{server.url}/simple/").text
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 404
    wheel = next(f for f in session["files"] if f.endswith(".whl"))
    assert httpx2.get(f"{server.url}/files/{wheel}").status_code == 404
    live = pip_install(f"{server.url}/simple/", f"{name}==1.0.0", tmp_path / "too-early")
    assert live.returncode != 0

    published = client.publish(session, maintainer.otp())
    assert published.status_code == 201, published.text
    assert published.json()["status"] == "published"

    after = pip_install(f"{server.url}/simple/", f"{name}==1.0.0", tmp_path / "from-live")
    assert after.returncode == 0, after.stderr
    assert installed_release(tmp_path / "from-live", name) == f'RELEASE = "{name} 1.0.0"\n'


def test_live_index_speaks_pep_503_and_691(server: Server, release_factory) -> None:
    name = unique_name("Simple_Api")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    artifacts = release_factory(name, "2.0")
    session = client.stage(name, "2.0", artifacts)
    assert client.publish(session, maintainer.otp()).status_code == 201
    normalized = name.lower().replace("_", "-")

    page = httpx2.get(f"{server.url}/simple/{normalized}/", headers={"Accept": JSON})
    assert page.headers["content-type"].startswith(JSON)
    document = page.json()
    assert document["meta"]["api-version"] == "1.3"  # 1.3: provenance (PEP 740)
    assert document["name"] == normalized and document["versions"] == ["2.0"]
    by_name = {file["filename"]: file for file in document["files"]}
    for artifact in artifacts:
        entry = by_name[artifact.filename]
        assert entry["hashes"] == {"sha256": artifact.sha256} and entry["size"] == artifact.size
        assert entry["provenance"] is None  # uploaded without attestations
        download = httpx2.get(f"{server.url}/simple/{normalized}/{entry['url']}")
        assert download.content == artifact.path.read_bytes()

    html = httpx2.get(f"{server.url}/simple/{normalized}/")
    assert html.headers["content-type"].startswith("text/html")
    assert f"#sha256={artifacts[0].sha256}" in html.text
    assert "data-provenance" not in html.text

    # PEP 503: other spellings redirect to the normalized name
    spelled = httpx2.get(f"{server.url}/simple/{name}/")
    assert spelled.status_code == 301
    assert spelled.headers["location"].endswith(f"/simple/{normalized}/")

    root = httpx2.get(f"{server.url}/simple/", headers={"Accept": JSON}).json()
    assert {"name": name} in root["projects"]
    refused = httpx2.get(f"{server.url}/simple/", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_stage_url_is_a_capability(server: Server, release_factory) -> None:
    name = unique_name("capability")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0", release_factory(name, "1.0"))
    token = session["session-token"]
    assert len(token) >= 40
    assert httpx2.get(f"{server.url}/stage/{token[:-1]}x/").status_code == 404
    assert httpx2.get(session["links"]["stage"]).status_code == 200

    canceled = client.cancel(session, maintainer.otp())
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert httpx2.get(session["links"]["stage"]).status_code == 404
